"""The ledger API tests' fixtures: the app on each backend (`tests/api/conftest.py`), a caller with both
ledger scopes (`api`), and accounts opened through the API (`open_account`)."""

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.auth import Scope, issue_api_key
from api.settings import ApiSettings
from tests.helpers.db import session_on

OpenAccount = Callable[..., str]


class LedgerApi:
    """`/v1/ledger` as one caller; each POST carries a fresh Idempotency-Key unless `key` is given."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def post(self, path: str, body: Any = None, *, key: str | None = None) -> httpx.Response:
        headers = {**self.headers, "Idempotency-Key": key or str(uuid.uuid4())}
        return self.client.post("/v1/ledger" + path, json=body, headers=headers)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get("/v1/ledger" + path, headers=self.headers, params=params)


def issue(settings: ApiSettings, *scopes: Scope) -> str:
    """A new API key's token with `scopes`, in the app's database."""
    with session_on(settings.database_url) as session:
        return issue_api_key(session, "ledger-test", scopes).token


@pytest.fixture
def api(client: TestClient, api_settings: ApiSettings) -> LedgerApi:
    return LedgerApi(client, issue(api_settings, "ledger:read", "ledger:write"))


@pytest.fixture
def open_account(api: LedgerApi) -> OpenAccount:
    """Open an account through the API; its id: `open_account("EUR", limited=True)`."""

    def open_(currency: str = "EUR", *, limited: bool = False, owner_id: str = "c1") -> str:
        body = {
            "currency": currency,
            "owner_kind": "customer",
            "owner_id": owner_id,
            "debits_must_not_exceed_credits": limited,
        }
        response = api.post("/accounts", body)
        assert response.status_code == 201, response.text
        account_id: str = response.json()["id"]
        return account_id

    return open_
