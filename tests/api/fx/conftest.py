"""The FX API tests' fixtures: the app on a rate file with KWD added (the ECB publishes none), a caller per
scope, and customer ledger accounts on the app's database."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import Scope, issue_api_key
from api.settings import ApiSettings
from chain.paths import PROJECT_ROOT
from ledger.accounts import create_accounts
from ledger.ids import new_id
from ledger.model import AccountFlags, AccountSpec, OwnerKind
from tests.helpers.db import engine_on, session_on

OpenAccount = Callable[..., int]


@pytest.fixture
def settings(api_settings: ApiSettings, tmp_path: Path) -> ApiSettings:
    """The shipped reference rates plus KWD at 0.3315 per euro; no spread on EUR/KWD."""
    shipped = (PROJECT_ROOT / "config" / "fx" / "eurofxref.xml").read_text()
    rates = tmp_path / "eurofxref.xml"
    rates.write_text(
        shipped.replace("<Cube currency='AUD'", "<Cube currency='KWD' rate='0.3315'/>\n<Cube currency='AUD'")
    )
    return api_settings.model_copy(update={"fx_rates_path": rates, "fx_pair_spreads_bps": {"EUR/KWD": 0}})


@pytest.fixture
def app(settings: ApiSettings) -> FastAPI:
    return create_app(settings)


@dataclass
class Caller:
    """An API key's view of the FX routes; every POST gets a fresh Idempotency-Key unless given one."""

    client: TestClient
    token: str | None

    def headers(self, key: str | None) -> dict[str, str]:
        headers = {"Idempotency-Key": key or str(uuid.uuid4())}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def post(self, path: str, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        return self.client.post(f"/v1/fx{path}", json=body, headers=self.headers(key))

    def get(self, path: str) -> httpx.Response:
        return self.client.get(f"/v1/fx{path}", headers=self.headers(None))


@pytest.fixture
def caller(client: TestClient, settings: ApiSettings) -> Callable[..., Caller]:
    """`caller("fx:write", "fx:read")`: a new API key with those scopes; `caller()`: no key at all."""

    def make(*scopes: Scope) -> Caller:
        if not scopes:
            return Caller(client, None)
        with session_on(settings.database_url) as session:
            return Caller(client, issue_api_key(session, "fx-test", scopes).token)

    return make


@pytest.fixture
def desk(caller: Callable[..., Caller]) -> Caller:
    return caller("fx:read", "fx:write")


@pytest.fixture
def open_account(client: TestClient, settings: ApiSettings) -> OpenAccount:
    """A customer ledger account of `currency` (after the app migrated the database); by default it may go
    negative, so a test converts without funding it first."""

    def open_(currency: str, flags: AccountFlags = AccountFlags.NONE) -> int:
        account_id = new_id()
        spec = AccountSpec(account_id, currency, OwnerKind.CUSTOMER, f"customer-{account_id}", flags=flags)
        with engine_on(settings.database_url) as engine:
            [outcome] = create_accounts(engine, [spec])
        assert outcome.result == "ok"
        return account_id

    return open_
