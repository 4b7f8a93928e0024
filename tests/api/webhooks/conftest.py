"""Fixtures of the webhook routes' tests: the app with a sealing key file, two onboarded merchants (their
keys carry the webhooks scopes), and events emitted the way a payment flow would."""

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.auth import Scope, add_api_key, issue_api_key
from api.settings import ApiSettings
from payments.merchants.tenant import Tenant
from payments.webhooks.outbox import Event, emit
from payments.webhooks.sealing import create_key_file
from tests.api.merchants.conftest import Caller, Onboarded, onboard
from tests.helpers.db import database_url, session_on  # noqa: F401  (fixture)

Call = Callable[..., httpx.Response]


@pytest.fixture
def api_settings(api_settings: ApiSettings, database_url: str, tmp_path: Path) -> ApiSettings:  # noqa: F811
    """The API tests' settings, with a webhook sealing key file of this test's own (`database_url` is
    named so that pytest sees the backend parameter behind the fixture this one overrides)."""
    key_path = tmp_path / "webhooks" / "secrets.key"
    create_key_file(key_path)
    return api_settings.model_copy(update={"webhook_key_path": key_path})


@pytest.fixture
def session(client: TestClient, api_settings: ApiSettings) -> Iterator[Session]:
    """A session on the app's (migrated) database."""
    with session_on(api_settings.database_url) as session:
        yield session


def calling(client: TestClient, bearer: str | None) -> Call:
    """`call(method, path, json=..., params=...)` as the key `bearer`, each POST with a fresh Idempotency-Key
    unless `key=` names one."""

    def call(method: str, path: str, *, key: str | None = None, **options: Any) -> httpx.Response:
        headers = {} if bearer is None else {"Authorization": f"Bearer {bearer}"}
        if method == "POST":
            headers["Idempotency-Key"] = key or str(uuid.uuid4())
        return client.request(method, path, headers=headers, **options)

    return call


@pytest.fixture
def operator_token(session: Session) -> Callable[..., str]:
    """An operator's key with the given scopes (it acts for no merchant)."""
    return lambda *scopes: issue_api_key(session, "desk", scopes).token


@pytest.fixture
def merchant_token(session: Session) -> Callable[..., str]:
    """`merchant_token(merchant, livemode, *scopes)`: a merchant's key with only those scopes."""

    def issue(merchant: Onboarded, livemode: bool, *scopes: Scope) -> str:
        issued = add_api_key(session, "narrow", scopes, Tenant(merchant.id, livemode))
        session.commit()
        return issued.token

    return issue


@pytest.fixture
def merchant_a(client: TestClient, operator_token: Callable[..., str]) -> Onboarded:
    return onboard(client, Caller(client, operator_token("merchants:admin")), "Merchant A")


@pytest.fixture
def merchant_b(client: TestClient, operator_token: Callable[..., str]) -> Onboarded:
    return onboard(client, Caller(client, operator_token("merchants:admin")), "Merchant B")


@pytest.fixture
def writer(client: TestClient, merchant_a: Onboarded) -> Call:
    """Merchant A's sandbox key (its default scopes include webhooks:read and webhooks:write)."""
    return calling(client, merchant_a.sandbox.token)


def endpoint_body(url: str, **fields: Any) -> dict[str, Any]:
    return {"url": url, "enabled_events": ["*"], **fields}


@pytest.fixture
def emit_events(session: Session, merchant_a: Onboarded) -> Callable[..., list[Event]]:
    """Emit `count` events for merchant A's sandbox and commit them, as a payment flow's transaction would."""

    def emit_(count: int = 1) -> list[Event]:
        made = [
            emit(
                session, merchant_a.id, False, "payment_intent.succeeded", {"id": f"pi_{n}", "amount": "100"}
            )
            for n in range(count)
        ]
        session.commit()
        return made

    return emit_
