"""What the card rail must never do: keep or show a card number, accept an unsigned, replayed or stale
processor event, or let a payment method serve another merchant or the other mode."""

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_api_key
from api.settings import ApiSettings
from payments.webhooks.signing import HEADER, signature_header
from tests.api.card.conftest import INTENTS, Caller, Merchant, NewCaller, database_holds
from tests.helpers.card_processor import TEST_CARDS, CardProcessor
from tests.helpers.db import session_on

EVENTS = "/v1/rails/card/events"


def test_malformed_card_fields_are_named_never_echoed(merchant: Caller) -> None:
    number = "4242424242424241"
    bad = merchant.post(
        "/v1/payment-methods", {"card": {"number": number, "exp_month": 13, "exp_year": 2031, "cvc": "12"}}
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert {error["field"] for error in bad.json()["errors"]} == {"card.number", "card.exp_month", "card.cvc"}
    assert number not in bad.text
    expired = merchant.post(
        "/v1/payment-methods",
        {"card": {"number": TEST_CARDS["success"], "exp_month": 1, "exp_year": 2020, "cvc": "123"}},
    )
    assert [error["field"] for error in expired.json()["errors"]] == ["card.exp_year"]
    shapeless = merchant.post("/v1/payment-methods", {"card": {"number": number, "exp_month": "12"}})
    assert shapeless.status_code == 422
    assert {"card.exp_month", "card.exp_year", "card.cvc"} <= {
        error["field"] for error in shapeless.json()["errors"]
    }
    assert number not in shapeless.text


def test_the_pan_is_never_in_the_api_database_or_logs(
    merchant: Caller, api_settings: ApiSettings, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    number = TEST_CARDS["three_d_secure"]
    method = merchant.payment_method(number)
    assert merchant.payment_method(number, name="Jo Doe")["id"] != method["id"]
    intent = merchant.intent(method["id"])
    url = merchant.confirm(intent["id"])["next_action"]["redirect_to_url"]["url"]
    httpx.post(url, data={"result": "complete"})
    assert (
        merchant.wait_for(intent["id"], lambda seen: seen["status"] == "succeeded")["status"] == "succeeded"
    )
    merchant.post(
        "/v1/payment-methods", {"card": {"number": number, "exp_month": 0, "exp_year": 2031, "cvc": "1"}}
    )
    assert database_holds(api_settings.database_url, number) == []
    if api_settings.database_url.startswith("sqlite"):
        for path in (tmp_path / "db").iterdir():
            assert number.encode() not in path.read_bytes()
    assert number not in caplog.text


def test_the_same_idempotency_key_answers_the_same_payment_method(merchant: Caller) -> None:
    body = {"card": {"number": TEST_CARDS["success"], "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    first = merchant.post("/v1/payment-methods", body, key="pm-key")
    again = merchant.post("/v1/payment-methods", body, key="pm-key")
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = {"card": body["card"] | {"number": TEST_CARDS["disputed"]}}
    assert merchant.post("/v1/payment-methods", other, key="pm-key").status_code == 409


def _signed(
    processor: CardProcessor, body: bytes, timestamp: int | None = None, secret: str | None = None
) -> dict[str, str]:
    key = secret or processor.webhook_secret_path.read_text().strip()
    header = signature_header([key], int(time.time()) if timestamp is None else timestamp, body)
    return {HEADER: header, "Content-Type": "application/json"}


def test_forged_replayed_and_stale_events_are_refused(served: httpx.Client, processor: CardProcessor) -> None:
    body = json.dumps(
        {
            "id": "evt_1",
            "type": "charge.unknown",
            "data": {"object": {"account": "acct_a", "livemode": False, "merchant_reference": "pi_1"}},
        }
    ).encode()
    assert served.post(EVENTS, content=body).status_code == 400
    assert (
        served.post(EVENTS, content=body, headers=_signed(processor, body, secret="whsec_forged")).status_code
        == 400
    )
    stale = _signed(processor, body, timestamp=int(time.time()) - 301)
    assert served.post(EVENTS, content=body, headers=stale).status_code == 400
    tampered = _signed(processor, body)
    assert served.post(EVENTS, content=body.replace(b"pi_1", b"pi_2"), headers=tampered).status_code == 400
    headers = _signed(processor, body)
    accepted = served.post(EVENTS, content=body, headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"received": True, "result": "ignored"}
    replayed = served.post(EVENTS, content=body, headers=headers)
    assert replayed.status_code == 400
    assert replayed.json()["type"] == "urn:tpwallet:problem:event-signature-refused"


def test_a_forged_3ds_result_cannot_complete_a_payment(merchant: Caller, served: httpx.Client) -> None:
    intent = merchant.intent(merchant.payment_method("three_d_secure")["id"])
    merchant.confirm(intent["id"])
    forged = json.dumps(
        {
            "id": "evt_x",
            "type": "authorization.updated",
            "data": {
                "object": {
                    "account": "x",
                    "livemode": False,
                    "merchant_reference": intent["id"],
                    "status": "captured",
                }
            },
        }
    ).encode()
    headers = {HEADER: signature_header(["whsec_guess"], int(time.time()), forged)}
    assert served.post(EVENTS, content=forged, headers=headers).status_code == 400
    assert merchant.get(f"{INTENTS}/{intent['id']}").json()["status"] == "requires_action"


def test_another_merchant_or_mode_cannot_use_a_payment_method(onboard: Callable[[str], Merchant]) -> None:
    acme, other = onboard("Acme"), onboard("Other")
    method = acme.sandbox.payment_method("success")["id"]
    for outsider in (other.sandbox, acme.live):
        intent = outsider.intent(method)
        refused = outsider.post(f"{INTENTS}/{intent['id']}/confirm")
        assert refused.status_code == 422, refused.text
        assert [error["field"] for error in refused.json()["errors"]] == ["payment_method"]
        assert outsider.get(f"{INTENTS}/{intent['id']}").json()["status"] == "requires_confirmation"
    own = acme.sandbox.intent(method)
    assert acme.sandbox.confirm(own["id"])["status"] == "succeeded"


def test_payment_methods_need_payments_write(new_caller: NewCaller, served: httpx.Client) -> None:
    body = {"card": {"number": TEST_CARDS["success"], "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    reader = new_caller("payments:read")
    assert reader.post("/v1/payment-methods", body).status_code == 403
    anonymous = served.post("/v1/payment-methods", json=body, headers={"Idempotency-Key": "k"})
    assert anonymous.status_code == 401


def test_without_a_processor_payment_methods_and_events_answer_503(
    api_settings: ApiSettings, tmp_path: Path
) -> None:
    bare = api_settings.model_copy(
        update={"card_processor_url": None, "card_webhook_secret_path": tmp_path / "no-secret"}
    )
    with TestClient(create_app(bare)) as client:
        with session_on(bare.database_url) as session:
            token = issue_api_key(session, "merchant", ("payments:write",)).token
        body = {"card": {"number": TEST_CARDS["success"], "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k"}
        assert client.post("/v1/payment-methods", json=body, headers=headers).status_code == 503
        assert client.post(EVENTS, content=b"{}").status_code == 503


def test_an_event_the_intent_cannot_take_yet_answers_409(
    merchant: Caller, served: httpx.Client, processor: CardProcessor
) -> None:
    """A dispute of a payment not yet captured (its capture's commit still racing): the processor retries."""
    intent = merchant.intent(merchant.payment_method("success")["id"], manual=True)
    assert merchant.confirm(intent["id"])["status"] == "requires_capture"
    dispute = {
        "id": "dp_early",
        "account": intent["shares"][0]["destination"],  # the caller's tenant
        "livemode": False,
        "merchant_reference": intent["id"],
        "amount": "10000",
        "reason": "fraudulent",
    }
    body = json.dumps({"id": "evt_2", "type": "dispute.created", "data": {"object": dispute}}).encode()
    early = served.post(EVENTS, content=body, headers=_signed(processor, body))
    assert early.status_code == 409, early.text
    assert early.json()["intent_status"] == "requires_capture"
    merchant.post(f"{INTENTS}/{intent['id']}/capture")
    retried = served.post(
        EVENTS, content=body, headers=_signed(processor, body, timestamp=int(time.time()) + 1)
    )
    assert retried.status_code == 200, retried.text
    assert merchant.get(f"{INTENTS}/{intent['id']}").json()["amount_disputed"] == "10000"
