"""Fixtures of the card payment tests: the real card processor process, the API served by uvicorn on a
loopback port (the processor's webhooks must reach it over the network), and merchants with keys.

The processor is started first, its webhook URL pointing at the port the API will take; the API's settings
name the processor's URL and the credential and webhook secret files the processor wrote.
"""

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import MetaData, select

from api.auth import Scope, issue_api_key
from api.migrate import target_metadata
from api.settings import ApiSettings
from scripts._support.processes import LOOPBACK, free_port
from tests.api.merchants.conftest import APPLICATION
from tests.helpers.card_processor import TEST_CARDS, CardProcessor
from tests.helpers.db import engine_on, session_on
from tests.helpers.served import serving_app

_keys = itertools.count()
INTENTS = "/v1/payment-intents"


@dataclass
class Caller:
    """The served API called with one bearer token."""

    http: httpx.Client
    token: str

    def post(self, path: str, body: Any = None, key: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key or f"card-{next(_keys)}"}
        return self.http.post(path, json=body if body is not None else {}, headers=headers)

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path, headers={"Authorization": f"Bearer {self.token}"})

    def payment_method(self, card: str, **fields: Any) -> dict[str, Any]:
        number = TEST_CARDS.get(card, card)
        answer = self.post(
            "/v1/payment-methods",
            {"card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"} | fields},
        )
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created

    def intent(self, method: str, amount: str = "10000", manual: bool = False) -> dict[str, Any]:
        body = {
            "amount": amount,
            "currency": "EUR",
            "rail": "card",
            "capture_method": "manual" if manual else "automatic",
            "payment_method": method,
        }
        answer = self.post(INTENTS, body)
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created

    def confirm(self, intent_id: str) -> dict[str, Any]:
        answer = self.post(f"{INTENTS}/{intent_id}/confirm")
        assert answer.status_code == 200, answer.text
        confirmed: dict[str, Any] = answer.json()
        return confirmed

    def wait_for(
        self, intent_id: str, done: Callable[[dict[str, Any]], bool], timeout: float = 15.0
    ) -> dict[str, Any]:
        """The intent once `done` holds (a webhook moved it), polled."""
        deadline = time.monotonic() + timeout
        while True:
            intent: dict[str, Any] = self.get(f"{INTENTS}/{intent_id}").json()
            if done(intent) or time.monotonic() > deadline:
                return intent
            time.sleep(0.05)


@pytest.fixture
def api_port() -> int:
    return free_port()


@pytest.fixture
def processor(tmp_path: Path, api_port: int) -> Iterator[CardProcessor]:
    webhook_url = f"http://{LOOPBACK}:{api_port}/v1/rails/card/events"
    with CardProcessor(tmp_path / "processor", webhook_url) as running:
        yield running


@pytest.fixture
def api_settings(api_settings: ApiSettings, processor: CardProcessor, database_url: str) -> ApiSettings:
    """The base settings (on `database_url`, named so pytest parametrizes this override over it too) with
    the card processor configured."""
    return api_settings.model_copy(update={**processor.api_settings, "rate_limit_enabled": False})


@pytest.fixture
def served(app: FastAPI, api_port: int) -> Iterator[httpx.Client]:
    """The app served by uvicorn on `api_port` (in a thread), and a client of it."""
    with (
        serving_app(app, port=api_port),
        httpx.Client(base_url=f"http://{LOOPBACK}:{api_port}", timeout=20) as http,
    ):
        yield http


NewCaller = Callable[..., Caller]


@pytest.fixture
def new_caller(served: httpx.Client, api_settings: ApiSettings) -> NewCaller:
    """A caller with an operator key of its own (a sandbox book of its own), with `scopes`."""

    def make(*scopes: Scope) -> Caller:
        chosen = scopes or ("payments:read", "payments:write")
        with session_on(api_settings.database_url) as session:
            return Caller(served, issue_api_key(session, "merchant", chosen).token)

    return make


@pytest.fixture
def merchant(new_caller: NewCaller) -> Caller:
    return new_caller()


@dataclass
class Merchant:
    id: str
    sandbox: Caller
    live: Caller


@pytest.fixture
def onboard(served: httpx.Client, api_settings: ApiSettings) -> Callable[[str], Merchant]:
    """A merchant applied for and approved, with its sandbox and live keys."""
    with session_on(api_settings.database_url) as session:
        admin = Caller(served, issue_api_key(session, "desk", ("merchants:admin",)).token)

    def make(name: str) -> Merchant:
        applied = admin.post("/v1/merchants/applications", {**APPLICATION, "legal_name": name})
        assert applied.status_code == 201, applied.text
        approved = admin.post(f"/v1/merchants/{applied.json()['id']}/approve")
        assert approved.status_code == 200, approved.text
        keys = {key["mode"]: key["token"] for key in approved.json()["api_keys"]}
        return Merchant(applied.json()["id"], Caller(served, keys["sandbox"]), Caller(served, keys["live"]))

    return make


def database_holds(url: str, text: str) -> list[str]:
    """The API tables with a row showing `text` anywhere."""
    found = []
    with engine_on(url) as engine, engine.connect() as connection:
        for metadata in target_metadata():
            assert isinstance(metadata, MetaData)
            for table in metadata.sorted_tables:
                for row in connection.execute(select(table)):
                    if any(
                        text in (value.decode(errors="replace") if isinstance(value, bytes) else str(value))
                        for value in row
                    ):
                        found.append(table.name)
    return found
