"""Card payments end to end: the API, the real card processor process and its webhooks, on SQLite and
PostgreSQL. Payment methods tokenized at the processor, every test card's outcome on a payment intent,
3-D Secure challenges completed on the processor's page, captures, refunds, disputes, and the settlement
file reconciling with them."""

import datetime
from typing import Any

import httpx
import pytest

from api.settings import ApiSettings
from payments.intents.model import RailKind
from payments.rails.card.client import CardProcessorClient
from payments.rails.card.statement import CardSettlements
from payments.reconciliation.lines import LineKind
from tests.api.card.conftest import INTENTS, Caller
from tests.helpers.card_processor import CardProcessor


def test_a_card_payment_with_a_3ds_challenge(merchant: Caller, processor: CardProcessor) -> None:
    """The demo's flow: a card that asks for 3-D Secure, paid once the customer completes the challenge."""
    card = merchant.payment_method("three_d_secure")
    assert (card["card"]["brand"], card["card"]["last4"]) == ("visa", "3184")
    intent = merchant.intent(card["id"], amount="2500")

    confirmed = merchant.confirm(intent["id"])
    assert confirmed["status"] == "requires_action"
    challenge_url = confirmed["next_action"]["redirect_to_url"]["url"]
    assert challenge_url.startswith(f"{processor.url}/3ds/")

    page = httpx.get(challenge_url)  # what the customer's browser shows
    assert "Complete" in page.text
    assert httpx.post(challenge_url, data={"result": "complete"}).status_code == 200

    paid = merchant.wait_for(intent["id"], lambda seen: seen["status"] != "requires_action")
    assert (paid["status"], paid["amount_received"], paid["next_action"]) == ("succeeded", "2500", None)


def test_automatic_capture_succeeds(merchant: Caller) -> None:
    intent = merchant.intent(merchant.payment_method("success")["id"])
    confirmed = merchant.confirm(intent["id"])
    assert (confirmed["status"], confirmed["amount_received"]) == ("succeeded", "10000")


def test_manual_partial_capture_refunds_and_the_settlement_file(
    merchant: Caller, processor: CardProcessor, api_settings: ApiSettings
) -> None:
    intent = merchant.intent(merchant.payment_method("success")["id"], manual=True)
    assert merchant.confirm(intent["id"])["status"] == "requires_capture"
    captured = merchant.post(f"{INTENTS}/{intent['id']}/capture", {"amount_to_capture": "6000"}).json()
    assert (captured["status"], captured["amount_received"]) == ("succeeded", "6000")
    refund = merchant.post("/v1/refunds", {"payment_intent": intent["id"], "amount": "2500"})
    assert refund.status_code == 201, refund.text
    assert refund.json()["status"] == "succeeded"
    over = merchant.post("/v1/refunds", {"payment_intent": intent["id"], "amount": "3501"})
    assert over.status_code == 422
    client = CardProcessorClient.from_file(processor.url, processor.credential_path, 5.0)
    try:
        lines = CardSettlements(client).lines(datetime.datetime.now(datetime.UTC).date())
    finally:
        client.close()
    assert [(line.rail, line.kind, line.reference, line.amount, line.currency) for line in lines] == [
        (RailKind.CARD, LineKind.PAYMENT, intent["id"], 6000, "EUR"),
        (RailKind.CARD, LineKind.REFUND, refund.json()["id"], 2500, "EUR"),
    ]


def test_cancel_voids_the_authorization(merchant: Caller) -> None:
    intent = merchant.intent(merchant.payment_method("success")["id"], manual=True)
    merchant.confirm(intent["id"])
    canceled = merchant.post(f"{INTENTS}/{intent['id']}/cancel").json()
    assert canceled["status"] == "canceled"


def test_each_decline_code_asks_for_another_payment_method(merchant: Caller) -> None:
    for card in ("generic_decline", "insufficient_funds", "expired_card", "incorrect_cvc"):
        intent = merchant.intent(merchant.payment_method(card)["id"])
        declined = merchant.confirm(intent["id"])
        assert (declined["status"], declined["last_payment_error"], declined["payment_method"]) == (
            "requires_payment_method",
            card,
            None,
        )
        retried = merchant.post(
            f"{INTENTS}/{intent['id']}/confirm", {"payment_method": merchant.payment_method("success")["id"]}
        )
        assert retried.json()["status"] == "succeeded"


@pytest.mark.parametrize(
    ("card", "choice", "manual", "status", "error"),
    [
        ("three_d_secure", "complete", True, "requires_capture", None),
        ("three_d_secure", "fail", False, "requires_payment_method", "authentication_failed"),
        (
            "three_d_secure_then_insufficient_funds",
            "complete",
            False,
            "requires_payment_method",
            "insufficient_funds",
        ),
    ],
)
def test_3ds_outcomes(
    merchant: Caller, card: str, choice: str, manual: bool, status: str, error: str | None
) -> None:
    intent = merchant.intent(merchant.payment_method(card)["id"], manual=manual)
    url = merchant.confirm(intent["id"])["next_action"]["redirect_to_url"]["url"]
    assert httpx.post(url, data={"result": choice}).status_code == 200
    assert httpx.post(url, data={"result": choice}).status_code == 409  # a challenge completes once
    done = merchant.wait_for(intent["id"], lambda seen: seen["status"] != "requires_action")
    assert (done["status"], done["last_payment_error"]) == (status, error)


def test_a_disputed_card_opens_a_dispute(merchant: Caller) -> None:
    intent = merchant.intent(merchant.payment_method("disputed")["id"])
    assert merchant.confirm(intent["id"])["status"] == "succeeded"
    disputed = merchant.wait_for(intent["id"], lambda seen: seen["amount_disputed"] != "0")
    assert disputed["amount_disputed"] == "10000"


def _kinds(seen: dict[str, Any]) -> str:
    return str(seen["status"])


def test_the_processor_killed_mid_flight(merchant: Caller, processor: CardProcessor) -> None:
    """kill -9 between authorization and capture, and during a confirmation: nothing is lost or doubled."""
    held = merchant.intent(merchant.payment_method("success")["id"], manual=True)
    assert merchant.confirm(held["id"])["status"] == "requires_capture"
    challenged = merchant.intent(merchant.payment_method("three_d_secure")["id"])
    url = merchant.confirm(challenged["id"])["next_action"]["redirect_to_url"]["url"]
    waiting = merchant.intent(merchant.payment_method("success")["id"])
    processor.kill()

    down = merchant.post(f"{INTENTS}/{waiting['id']}/confirm", key="confirm-while-down")
    assert down.status_code == 503, down.text
    assert merchant.get(f"{INTENTS}/{waiting['id']}").json()["status"] == "requires_confirmation"

    processor.start()
    again = merchant.post(f"{INTENTS}/{waiting['id']}/confirm", key="confirm-while-down")
    assert again.json()["status"] == "succeeded"
    captured = merchant.post(f"{INTENTS}/{held['id']}/capture").json()
    assert (captured["status"], captured["amount_received"]) == ("succeeded", "10000")
    assert httpx.post(url, data={"result": "complete"}).status_code == 200
    assert (
        merchant.wait_for(challenged["id"], lambda seen: seen["status"] == "succeeded")["status"]
        == "succeeded"
    )
