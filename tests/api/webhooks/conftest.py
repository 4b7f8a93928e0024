"""Fixtures of the webhook routes' tests: the app with a sealing key file, callers with webhook scopes, and
helpers to create an endpoint and emit events the way a payment flow would."""

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.auth import issue_api_key
from api.settings import ApiSettings
from payments.webhooks.outbox import Event, emit
from payments.webhooks.sealing import create_key_file
from tests.helpers.db import database_url, session_on  # noqa: F401  (fixture)

MERCHANT = "acct_merchant_a"
OTHER_MERCHANT = "acct_merchant_b"
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


@pytest.fixture
def token(session: Session) -> Callable[..., str]:
    """Issue an API key with the given scopes; its token."""
    return lambda *scopes: issue_api_key(session, "webhooks-test", scopes).token


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
def writer(client: TestClient, token: Callable[..., str]) -> Call:
    return calling(client, token("webhooks:read", "webhooks:write"))


def endpoint_body(url: str, merchant_id: str = MERCHANT, **fields: Any) -> dict[str, Any]:
    return {"merchant_id": merchant_id, "livemode": False, "url": url, "enabled_events": ["*"], **fields}


def tenant(merchant_id: str = MERCHANT, livemode: bool = False) -> dict[str, Any]:
    return {"merchant_id": merchant_id, "livemode": livemode}


@pytest.fixture
def emit_events(session: Session) -> Callable[..., list[Event]]:
    """Emit `count` events for a merchant's sandbox and commit them, as a payment flow's transaction would."""

    def emit_(count: int = 1, merchant_id: str = MERCHANT) -> list[Event]:
        made = [
            emit(session, merchant_id, False, "payment_intent.succeeded", {"id": f"pi_{n}", "amount": "100"})
            for n in range(count)
        ]
        session.commit()
        return made

    return emit_
