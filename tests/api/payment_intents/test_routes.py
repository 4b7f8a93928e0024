"""The payment routes: the lifecycle over HTTP, amounts as decimal strings, problems naming the field,
idempotent POSTs, scopes, and tenants that never see each other's intents."""

from typing import Any, get_args

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from api.payment_intents.schemas import CallerCancellationReason
from api.settings import ApiSettings
from ledger.check import verify
from ledger.schema import transfers
from payments.intents.model import CancellationReason
from tests.api.payment_intents.conftest import Caller, NewCaller
from tests.helpers.db import engine_on
from tests.payments.intents.conftest import CHALLENGE_URL

INTENTS = "/v1/payment-intents"


def _create(caller: Caller, **fields: Any) -> dict[str, Any]:
    body = {
        "amount": "10000",
        "currency": "EUR",
        "capture_method": "manual",
        "payment_method": "pm_ok",
    } | fields
    response = caller.post(INTENTS, body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _journal(settings: ApiSettings) -> int:
    with engine_on(settings.database_url) as engine, engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(transfers)) or 0


def test_create_confirm_capture_refund(merchant: Caller, api_settings: ApiSettings) -> None:
    intent = _create(merchant)
    assert (intent["status"], intent["amount"], intent["object"]) == (
        "requires_confirmation",
        "10000",
        "payment_intent",
    )
    confirmed = merchant.post(f"{INTENTS}/{intent['id']}/confirm").json()
    assert (confirmed["status"], confirmed["amount_capturable"]) == ("requires_capture", "10000")
    captured = merchant.post(f"{INTENTS}/{intent['id']}/capture", {"amount_to_capture": "6000"}).json()
    assert (captured["status"], captured["amount_received"], captured["amount_capturable"]) == (
        "succeeded",
        "6000",
        "0",
    )
    refund = merchant.post("/v1/refunds", {"payment_intent": intent["id"], "amount": "2500"})
    assert refund.status_code == 201, refund.text
    assert (refund.json()["amount"], refund.json()["status"]) == ("2500", "succeeded")
    assert merchant.get(f"/v1/refunds/{refund.json()['id']}").json() == refund.json()
    assert merchant.get(f"{INTENTS}/{intent['id']}").json()["amount_refunded"] == "2500"
    with engine_on(api_settings.database_url) as engine:
        assert verify(engine) == []


def test_three_d_secure_answers_the_challenge_url(merchant: Caller) -> None:
    intent = _create(merchant, payment_method="pm_3ds")
    confirmed = merchant.post(f"{INTENTS}/{intent['id']}/confirm").json()
    assert confirmed["status"] == "requires_action"
    assert confirmed["next_action"] == {"type": "redirect_to_url", "redirect_to_url": {"url": CHALLENGE_URL}}
    canceled = merchant.post(f"{INTENTS}/{intent['id']}/cancel", {"cancellation_reason": "abandoned"}).json()
    assert (canceled["status"], canceled["cancellation_reason"]) == ("canceled", "abandoned")


def test_a_refused_transition_is_409_naming_the_status(merchant: Caller) -> None:
    intent = _create(merchant)
    response = merchant.post(f"{INTENTS}/{intent['id']}/capture")
    assert response.status_code == 409
    problem = response.json()
    assert (problem["type"], problem["status"]) == (
        "urn:tpwallet:problem:payment-intent-unexpected-state",
        409,
    )
    assert problem["intent_status"] == "requires_confirmation"
    assert "requires_confirmation" in problem["detail"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1.5"}, "amount"),
        ({"amount": 100}, "amount"),
        ({"amount": str(2**63)}, "amount"),
        ({"currency": "eur"}, "currency"),
        ({"currency": "ZZZ"}, "currency"),
        ({"shares": [{"destination": "acct_x", "amount": "9999"}]}, "shares"),
    ],
)
def test_a_bad_field_is_a_422_naming_it(merchant: Caller, fields: dict[str, Any], field: str) -> None:
    body = {"amount": "10000", "currency": "EUR"} | fields
    response = merchant.post(INTENTS, body)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


def test_over_capture_and_over_refund_name_their_field(merchant: Caller) -> None:
    intent = _create(merchant)
    merchant.post(f"{INTENTS}/{intent['id']}/confirm")
    over = merchant.post(f"{INTENTS}/{intent['id']}/capture", {"amount_to_capture": "10001"})
    assert (over.status_code, over.json()["errors"][0]["field"]) == (422, "amount_to_capture")
    merchant.post(f"{INTENTS}/{intent['id']}/capture")
    refund = merchant.post("/v1/refunds", {"payment_intent": intent["id"], "amount": "10001"})
    assert (refund.status_code, refund.json()["errors"][0]["field"]) == (422, "amount")


def test_a_retried_post_is_replayed_and_moves_money_once(merchant: Caller, api_settings: ApiSettings) -> None:
    intent = _create(merchant)
    first = merchant.post(f"{INTENTS}/{intent['id']}/confirm", key="confirm-once")
    journal = _journal(api_settings)
    again = merchant.post(f"{INTENTS}/{intent['id']}/confirm", key="confirm-once")
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    merchant.post(f"{INTENTS}/{intent['id']}/capture")
    body = {"payment_intent": intent["id"], "amount": "100"}
    refund = merchant.post("/v1/refunds", body, key="refund-once")
    assert merchant.post("/v1/refunds", body, key="refund-once").json() == refund.json()
    assert _journal(api_settings) == journal + 3  # the capture's post, the refund's hold and its post
    assert merchant.get(f"{INTENTS}/{intent['id']}").json()["amount_refunded"] == "100"


def test_another_merchant_sees_nothing(merchant: Caller, new_caller: NewCaller) -> None:
    intent = _create(merchant)
    merchant.post(f"{INTENTS}/{intent['id']}/confirm")
    other = new_caller()
    for response in (
        other.get(f"{INTENTS}/{intent['id']}"),
        other.post(f"{INTENTS}/{intent['id']}/confirm"),
        other.post(f"{INTENTS}/{intent['id']}/capture"),
        other.post(f"{INTENTS}/{intent['id']}/cancel"),
        other.post("/v1/refunds", {"payment_intent": intent["id"]}),
    ):
        assert response.status_code == 404, response.text
    assert merchant.get(f"{INTENTS}/{intent['id']}").json()["status"] == "requires_capture"


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("POST", INTENTS, "payments:write"),
        ("GET", f"{INTENTS}/pi_x", "payments:read"),
        ("POST", f"{INTENTS}/pi_x/confirm", "payments:write"),
        ("POST", f"{INTENTS}/pi_x/capture", "payments:write"),
        ("POST", f"{INTENTS}/pi_x/cancel", "payments:write"),
        ("POST", "/v1/refunds", "payments:write"),
        ("GET", "/v1/refunds/re_x", "payments:read"),
    ],
)
def test_every_route_needs_its_scope(new_caller: NewCaller, method: str, path: str, scope: str) -> None:
    outsider = new_caller("custody:read")
    response = outsider.post(path, {}) if method == "POST" else outsider.get(path)
    assert response.status_code == 403
    assert scope in response.json()["detail"]
    anonymous = outsider.client.request(method, path, headers={"Idempotency-Key": "k"}, json={})
    assert anonymous.status_code == 401


def test_a_reader_cannot_write(new_caller: NewCaller) -> None:
    reader = new_caller("payments:read")
    assert reader.post(INTENTS, {"amount": "1", "currency": "EUR"}).status_code == 403


def test_a_split_payment_over_http(merchant: Caller) -> None:
    shares = [
        {"destination": "acct_seller", "amount": "7000"},
        {"destination": "acct_platform", "amount": "3000"},
    ]
    intent = _create(merchant, shares=shares, capture_method="automatic")
    done = merchant.post(f"{INTENTS}/{intent['id']}/confirm").json()
    assert done["status"] == "succeeded"
    assert [(share["destination"], share["captured"]) for share in done["shares"]] == [
        ("acct_seller", "7000"),
        ("acct_platform", "3000"),
    ]


def test_without_a_rail_confirm_is_503(merchant: Caller, app: FastAPI) -> None:
    intent = _create(merchant)
    app.state.payment_rails = {}
    response = merchant.post(f"{INTENTS}/{intent['id']}/confirm")
    assert (response.status_code, response.json()["type"]) == (503, "urn:tpwallet:problem:rail-unavailable")
    assert merchant.get(f"{INTENTS}/{intent['id']}").json()["status"] == "requires_confirmation"


def test_a_caller_cannot_claim_the_automatic_cancellation(merchant: Caller) -> None:
    intent = _create(merchant)
    response = merchant.post(f"{INTENTS}/{intent['id']}/cancel", {"cancellation_reason": "automatic"})
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "cancellation_reason")
    assert set(get_args(CallerCancellationReason)) == set(CancellationReason) - {CancellationReason.AUTOMATIC}
