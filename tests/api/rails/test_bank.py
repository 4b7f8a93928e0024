"""Paying by bank end to end, on SQLite and PostgreSQL: the API with the bank rail registered, the sandbox
bank as its own process, its signed webhooks arriving at `/v1/rails/bank/events`. Every test IBAN's
outcome, refunds, the signature checks, a notification delivered twice, and the bank killed mid-flight."""

import datetime
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.settings import ApiSettings
from ledger.accounts import lookup_account
from ledger.check import verify as verify_ledger
from payments.intents.model import RailKind
from payments.intents.postings import clearing_account
from payments.rails.bank import camt
from payments.rails.bank.camt import Entry, Report
from payments.rails.bank.xsd import Message, root_message
from payments.sandbox.bank.accounts import UNKNOWN_IBAN
from payments.webhooks.signing import signature_header
from tests.api.payment_intents.conftest import Caller
from tests.api.rails.conftest import (
    INTENTS,
    Bridge,
    create_bank_intent,
    post_notification,
    settled,
)
from tests.helpers.db import engine_on
from tests.helpers.sandbox_bank import WEBHOOK_SECRET, BankProcess

FUNDED = "DE93999999990000000001"
SHORT = "DE66999999990000000002"
CLOSED = "DE39999999990000000003"
RETURNING = "DE12999999990000000004"


def ledger_clean(settings: ApiSettings) -> None:
    with engine_on(settings.database_url) as engine:
        assert verify_ledger(engine) == []


def bank_clearing(settings: ApiSettings) -> int:
    with engine_on(settings.database_url) as engine:
        return _posted(engine)


def _posted(engine: Engine) -> int:
    account = lookup_account(engine, clearing_account("EUR", False, RailKind.BANK).id)
    return 0 if account is None else account.balances.posted


def confirm(merchant: Caller, intent: dict[str, Any]) -> dict[str, Any]:
    response = merchant.post(f"{INTENTS}/{intent['id']}/confirm")
    assert response.status_code == 200, response.text
    confirmed: dict[str, Any] = response.json()
    return confirmed


def test_paying_by_bank_create_confirm_notify_succeed(merchant: Caller, api_settings: ApiSettings) -> None:
    """The demo's flow: a payment from the customer's IBAN is processing until the bank settles it; its
    signed camt.054 then makes the intent succeed, and the ledger balances."""
    intent = create_bank_intent(merchant, FUNDED, amount="12345")
    assert intent["status"] == "requires_confirmation"
    assert confirm(merchant, intent)["status"] == "processing"
    done = settled(merchant, f"{INTENTS}/{intent['id']}", "processing")
    assert (done["status"], done["amount_received"], done["last_payment_error"]) == (
        "succeeded",
        "12345",
        None,
    )
    ledger_clean(api_settings)


@pytest.mark.parametrize(
    ("iban", "amount", "status", "code"),
    [
        (UNKNOWN_IBAN, "5000", "requires_payment_method", "AC01"),
        (CLOSED, "5000", "failed", "AC04"),
        (SHORT, "1001", "requires_payment_method", "AM04"),
        (RETURNING, "5000", "failed", "AC06"),
    ],
)
def test_each_test_iban_ends_the_payment_with_its_reason_code(
    merchant: Caller, api_settings: ApiSettings, iban: str, amount: str, status: str, code: str
) -> None:
    intent = create_bank_intent(merchant, iban, amount=amount)
    confirm(merchant, intent)
    done = settled(merchant, f"{INTENTS}/{intent['id']}", "processing")
    assert (done["status"], done["last_payment_error"], done["amount_received"]) == (status, code, "0")
    ledger_clean(api_settings)


def test_a_declined_payment_can_be_paid_from_another_account(
    merchant: Caller, api_settings: ApiSettings
) -> None:
    intent = create_bank_intent(merchant, SHORT, amount="2000")
    confirm(merchant, intent)
    assert settled(merchant, f"{INTENTS}/{intent['id']}", "processing")["status"] == "requires_payment_method"
    retried = merchant.post(f"{INTENTS}/{intent['id']}/confirm", {"payment_method": FUNDED})
    assert retried.json()["status"] == "processing"
    assert settled(merchant, f"{INTENTS}/{intent['id']}", "processing")["status"] == "succeeded"
    ledger_clean(api_settings)


def test_a_refund_is_pending_until_the_bank_books_it(merchant: Caller, api_settings: ApiSettings) -> None:
    intent = create_bank_intent(merchant, FUNDED, amount="8000")
    confirm(merchant, intent)
    settled(merchant, f"{INTENTS}/{intent['id']}", "processing")
    refund = merchant.post("/v1/refunds", {"payment_intent": intent["id"], "amount": "3000"})
    assert refund.status_code == 201, refund.text
    assert refund.json()["status"] == "pending"
    done = settled(merchant, f"/v1/refunds/{refund.json()['id']}", "pending")
    assert done["status"] == "succeeded"
    assert merchant.get(f"{INTENTS}/{intent['id']}").json()["amount_refunded"] == "3000"
    ledger_clean(api_settings)


def test_a_payment_method_that_is_not_an_iban_is_refused_at_confirm_naming_the_field(
    merchant: Caller,
) -> None:
    intent = create_bank_intent(merchant, "DE93999999990000000009")
    refused = merchant.post(f"{INTENTS}/{intent['id']}/confirm")
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [error["field"] for error in refused.json()["errors"]] == ["payment_method"]
    assert merchant.get(f"{INTENTS}/{intent['id']}").json()["status"] == "requires_confirmation"


def test_a_manual_capture_bank_intent_is_refused_naming_the_field(merchant: Caller) -> None:
    body = {
        "amount": "5000",
        "currency": "EUR",
        "rail": "bank",
        "capture_method": "manual",
        "payment_method": FUNDED,
    }
    refused = merchant.post(INTENTS, body)
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["capture_method"]


def test_a_notification_delivered_twice_moves_the_money_once(
    merchant: Caller, client: TestClient, wired: Bridge, api_settings: ApiSettings
) -> None:
    intent = create_bank_intent(merchant, FUNDED)
    confirm(merchant, intent)
    settled(merchant, f"{INTENTS}/{intent['id']}", "processing")
    [booking] = [sent for sent in wired.forwarded if root_message(sent.body) is Message.CAMT_054]
    assert booking.status == 200
    cleared = bank_clearing(api_settings)
    # Signed as the bank's retry would be, at another second than the first delivery (not a replay).
    resigned = signature_header([WEBHOOK_SECRET], int(time.time()) - 10, booking.body)
    again = post_notification(client, booking.body, resigned)
    assert (again.status_code, again.json()) == (200, {"result": "already_applied"})
    assert bank_clearing(api_settings) == cleared
    assert merchant.get(f"{INTENTS}/{intent['id']}").json()["amount_received"] == "5000"
    ledger_clean(api_settings)


def test_forged_replayed_stale_and_unsigned_notifications_are_refused(
    merchant: Caller, client: TestClient, wired: Bridge, api_settings: ApiSettings
) -> None:
    intent = create_bank_intent(merchant, FUNDED)
    confirm(merchant, intent)
    settled(merchant, f"{INTENTS}/{intent['id']}", "processing")
    [booking] = [sent for sent in wired.forwarded if root_message(sent.body) is Message.CAMT_054]
    now = int(time.time())
    attempts = {
        "forged": signature_header(["whsec_not_the_banks"], now, booking.body),
        "replayed": booking.headers["TPW-Signature"],
        "stale": signature_header([WEBHOOK_SECRET], now - 301, booking.body),
        "malformed": "t=1,v1=xyz",
        "unsigned": None,
    }
    cleared = bank_clearing(api_settings)
    for why, signature in attempts.items():
        refused = post_notification(client, booking.body, signature)
        assert refused.status_code == 400, why
        assert refused.json()["type"] == "urn:tpwallet:problem:signature-refused", why
        assert [error["field"] for error in refused.json()["errors"]] == ["TPW-Signature"], why
    assert bank_clearing(api_settings) == cleared


def test_a_signed_body_that_is_not_a_valid_report_is_refused(client: TestClient, wired: Bridge) -> None:
    for body in (b"<Document/>", b"not xml", b'<?xml version="1.0"?><Document xmlns="urn:other"/>'):
        refused = post_notification(client, body, signature_header([WEBHOOK_SECRET], int(time.time()), body))
        assert refused.status_code == 422
        assert [error["field"] for error in refused.json()["errors"]] == ["body"]


@pytest.mark.parametrize(
    ("iban", "reference"),
    [("DE75999999991000000000", "pi_0123456789abcdef01234567"), ("DE93999999990000000001", None)],
)
def test_a_signed_report_about_no_intent_of_ours_or_another_account_is_refused(
    merchant: Caller, client: TestClient, api_settings: ApiSettings, iban: str, reference: str | None
) -> None:
    """A notification naming an intent that is not ours (in the rail's mode), or booked on an account that
    is not our collection account, moves nothing even when correctly signed."""
    intent_id = reference or create_bank_intent(merchant, FUNDED)["id"]
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    entry = Entry("BK1", True, 5_000, "EUR", now.date(), intent_id, f"{intent_id}:authorize:1")
    body = camt.build_notification(Report("NT1", now, iban, (entry,)))
    refused = post_notification(client, body, signature_header([WEBHOOK_SECRET], int(time.time()), body))
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["body"]
    assert bank_clearing(api_settings) == 0


def test_the_bank_killed_mid_flight_still_completes_the_payment_once(
    merchant: Caller, bank: BankProcess, wired: Bridge, api_settings: ApiSettings
) -> None:
    intent = create_bank_intent(merchant, FUNDED, amount="4200")
    confirm(merchant, intent)
    bank.kill()
    time.sleep(1.0)
    assert merchant.get(f"{INTENTS}/{intent['id']}").json()["status"] == "processing"
    bank.start()
    done = settled(merchant, f"{INTENTS}/{intent['id']}", "processing")
    assert (done["status"], done["amount_received"]) == ("succeeded", "4200")
    time.sleep(1.0)
    bookings = [sent for sent in wired.forwarded if root_message(sent.body) is Message.CAMT_054]
    assert len({sent.body for sent in bookings}) == 1, "one booking, however often delivered"
    assert abs(bank_clearing(api_settings)) == 4200, "the money moved once"
    ledger_clean(api_settings)


def test_without_a_bank_the_notifications_route_is_unavailable(client: TestClient, app: Any) -> None:
    app.state.bank_notifications = None
    refused = post_notification(client, b"<x/>", None)
    assert refused.status_code == 503
    assert refused.json()["type"] == "urn:tpwallet:problem:bank-rail-unavailable"
