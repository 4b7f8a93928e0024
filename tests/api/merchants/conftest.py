"""The merchant API tests' fixtures: the app on this test's database, an operator with each merchant scope,
and two onboarded merchants (A and B), each with a sandbox and a live key."""

import itertools
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.auth import OperatorScope, issue_api_key
from api.settings import ApiSettings
from tests.helpers.db import session_on

APPLICATION: dict[str, Any] = {
    "legal_name": "Acme GmbH",
    "country": "DE",
    "settlement_currency": "EUR",
    "fees": {
        "card": {"basis_points": 290, "fixed": "30"},
        "bank": {"basis_points": 80, "fixed": "0"},
        "stablecoin": {"basis_points": 50, "fixed": "0"},
    },
}
_keys = itertools.count()


@dataclass
class Caller:
    """The app (a TestClient, or an httpx client of a served app), called with one bearer token (or none)."""

    client: httpx.Client
    token: str | None

    def request(
        self, method: str, path: str, body: Any = None, idempotency_key: str | None = None
    ) -> httpx.Response:
        headers = {} if self.token is None else {"Authorization": f"Bearer {self.token}"}
        if method == "POST":
            headers["Idempotency-Key"] = idempotency_key or f"test-{next(_keys)}"
        return self.client.request(method, path, headers=headers, json=body)

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def post(self, path: str, body: Any = None, idempotency_key: str | None = None) -> httpx.Response:
        return self.request("POST", path, body, idempotency_key)

    def delete(self, path: str) -> httpx.Response:
        return self.request("DELETE", path)


@dataclass
class Onboarded:
    """An approved merchant and its first keys."""

    id: str
    sandbox: Caller
    live: Caller
    key_ids: dict[str, str]
    """Mode -> the id of the key issued at approval."""


@pytest.fixture
def session(client: TestClient, api_settings: ApiSettings) -> Any:
    with session_on(api_settings.database_url) as opened:
        yield opened


@pytest.fixture
def operator(client: TestClient, session: Session):
    """A caller with the given operator scopes."""

    def make(*scopes: OperatorScope) -> Caller:
        return Caller(client, issue_api_key(session, "desk", scopes).token)

    return make


@pytest.fixture
def admin(operator) -> Caller:
    return operator("merchants:admin")


def onboard(client: httpx.Client, admin: Caller, legal_name: str) -> Onboarded:
    """Apply and approve a merchant."""
    applied = admin.post("/v1/merchants/applications", {**APPLICATION, "legal_name": legal_name})
    assert applied.status_code == 201, applied.text
    merchant_id = applied.json()["id"]
    approved = admin.post(f"/v1/merchants/{merchant_id}/approve")
    assert approved.status_code == 200, approved.text
    keys = {key["mode"]: key for key in approved.json()["api_keys"]}
    return Onboarded(
        merchant_id,
        Caller(client, keys["sandbox"]["token"]),
        Caller(client, keys["live"]["token"]),
        {mode: key["id"] for mode, key in keys.items()},
    )


@pytest.fixture
def merchant_a(client: TestClient, admin: Caller) -> Onboarded:
    return onboard(client, admin, "Merchant A")


@pytest.fixture
def merchant_b(client: TestClient, admin: Caller) -> Onboarded:
    return onboard(client, admin, "Merchant B")
