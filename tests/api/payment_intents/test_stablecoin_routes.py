"""`GET /v1/payment-intents/{id}/stablecoin` and stablecoin intents over HTTP: the payment instructions,
manual capture refused naming the field, another merchant's intent not found, a missing scope refused, a card
intent without instructions, and 503 while no stablecoin rail is configured."""

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from api.payment_intents.stablecoin import stablecoin_rails
from api.settings import ApiSettings
from payments.intents.model import RailKind
from payments.rails.stablecoin.config import StablecoinConfig
from payments.rails.stablecoin.instructions import intent_key
from payments.rails.stablecoin.rail import StablecoinRail
from tests.api.payment_intents.conftest import Caller, NewCaller
from tests.payments.intents.conftest import ScriptedRail

INTENTS = "/v1/payment-intents"
CONFIG = StablecoinConfig(
    chain_id=31337,
    router="0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
    token="0x5FbDB2315678afecb367f032d93F642f64180aa3",
    token_symbol="tUSD",
    token_decimals=6,
    currency="USD",
    livemode=False,
)


@pytest.fixture(autouse=True)
def stablecoin(app: FastAPI, rail: ScriptedRail) -> StablecoinRail:
    """The stablecoin rail beside the scripted card rail."""
    stablecoin_rail = StablecoinRail(CONFIG)
    app.state.payment_rails = {RailKind.CARD: rail, RailKind.STABLECOIN: stablecoin_rail}
    return stablecoin_rail


def _confirmed(caller: Caller, **fields: Any) -> dict[str, Any]:
    body = {"amount": "1234", "currency": "USD", "rail": "stablecoin", "payment_method": "pm_wallet"} | fields
    created = caller.post(INTENTS, body)
    assert created.status_code == 201, created.text
    return caller.post(f"{INTENTS}/{created.json()['id']}/confirm").json()


def test_a_confirmed_intent_waits_with_its_instructions(merchant: Caller) -> None:
    intent = _confirmed(merchant)
    assert intent["status"] == "processing"
    response = merchant.get(f"{INTENTS}/{intent['id']}/stablecoin")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "object": "stablecoin_instructions",
        "payment_intent": intent["id"],
        "chain_id": "31337",
        "router": CONFIG.router,
        "token": CONFIG.token,
        "token_symbol": "tUSD",
        "amount": "12340000",
        "intent_key": "0x" + intent_key(intent["id"]).hex(),
    }


def test_manual_capture_is_refused_naming_the_field(merchant: Caller) -> None:
    created = merchant.post(
        INTENTS,
        {
            "amount": "100",
            "currency": "USD",
            "rail": "stablecoin",
            "capture_method": "manual",
            "payment_method": "w",
        },
    ).json()
    response = merchant.post(f"{INTENTS}/{created['id']}/confirm")
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["capture_method"]
    assert merchant.get(f"{INTENTS}/{created['id']}").json()["status"] == "requires_confirmation"


def test_another_currency_is_refused_naming_the_field(merchant: Caller) -> None:
    created = merchant.post(
        INTENTS, {"amount": "100", "currency": "EUR", "rail": "stablecoin", "payment_method": "w"}
    ).json()
    response = merchant.post(f"{INTENTS}/{created['id']}/confirm")
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["currency"]


def test_another_merchant_gets_no_instructions(merchant: Caller, new_caller: NewCaller) -> None:
    intent = _confirmed(merchant)
    assert new_caller().get(f"{INTENTS}/{intent['id']}/stablecoin").status_code == 404


def test_the_read_scope_is_needed(merchant: Caller, new_caller: NewCaller) -> None:
    intent = _confirmed(merchant)
    assert new_caller("custody:read").get(f"{INTENTS}/{intent['id']}/stablecoin").status_code == 403


def test_a_card_intent_has_no_instructions(merchant: Caller) -> None:
    created = merchant.post(INTENTS, {"amount": "100", "currency": "EUR", "payment_method": "pm_ok"}).json()
    response = merchant.get(f"{INTENTS}/{created['id']}/stablecoin")
    assert response.status_code == 404
    assert "card rail" in response.json()["detail"]


def test_without_a_stablecoin_rail_the_server_says_so(
    app: FastAPI, merchant: Caller, rail: ScriptedRail
) -> None:
    intent = _confirmed(merchant)
    app.state.payment_rails = {RailKind.CARD: rail}
    assert merchant.get(f"{INTENTS}/{intent['id']}/stablecoin").status_code == 503


def test_a_rail_whose_chain_is_not_reachable_answers_503(
    app: FastAPI, api_settings: ApiSettings, merchant: Caller, rail: ScriptedRail, tmp_path: Path
) -> None:
    """The API may start before the router is deployed: the rail reads the registry when first needed."""
    unreachable = api_settings.model_copy(
        update={"stablecoin_rail": True, "l1_rpc_url": "http://127.0.0.1:9", "deployments_dir": tmp_path}
    )
    app.state.payment_rails = {RailKind.CARD: rail, **stablecoin_rails(unreachable)}
    created = merchant.post(
        INTENTS, {"amount": "100", "currency": "USD", "rail": "stablecoin", "payment_method": "w"}
    ).json()
    assert merchant.post(f"{INTENTS}/{created['id']}/confirm").status_code == 503
    assert merchant.get(f"{INTENTS}/{created['id']}/stablecoin").status_code == 503
    assert stablecoin_rails(api_settings.model_copy(update={"stablecoin_rail": False})) == {}
