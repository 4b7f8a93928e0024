"""Fixtures of the reconciliation and report routes' tests: the app with the scripted card rail, operators
with the scopes asked for, two onboarded merchants, and payments made through the API."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.auth import OperatorScope, issue_api_key
from api.db import make_engine
from api.settings import ApiSettings
from payments.intents.model import RailKind
from tests.api.merchants.conftest import (  # noqa: F401  (fixtures)
    Caller,
    Onboarded,
    admin,
    merchant_a,
    merchant_b,
    onboard,
    operator,
    session,
)
from tests.payments.intents.conftest import ScriptedRail


@pytest.fixture
def rail(app: FastAPI) -> ScriptedRail:
    rail = ScriptedRail()
    app.state.payment_rails = {RailKind.CARD: rail}
    return rail


@pytest.fixture
def engine(client: TestClient, api_settings: ApiSettings) -> Iterator[Engine]:
    """The app's database, for the tests' own reads (the rail's record built from the ledger)."""
    engine = make_engine(api_settings.database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def desk(client: TestClient, session: Session) -> Caller:  # noqa: F811
    """An operator who may read and run reconciliations."""
    scopes: tuple[OperatorScope, ...] = ("reconciliation:read", "reconciliation:write")
    return Caller(client, issue_api_key(session, "desk", scopes).token)


def pay(caller: Caller, amount: int, currency: str = "EUR") -> dict[str, Any]:
    """A card payment through the API, captured at once."""
    created = caller.post(
        "/v1/payment-intents", {"amount": str(amount), "currency": currency, "payment_method": "pm_ok"}
    )
    assert created.status_code == 201, created.text
    confirmed = caller.post(f"/v1/payment-intents/{created.json()['id']}/confirm")
    assert confirmed.json()["status"] == "succeeded", confirmed.text
    return confirmed.json()
