"""The sandbox bank as its own process: every test IBAN's outcome, the pain.002 answers, settlement after
the delay, signed webhooks retried until taken, duplicates by MsgId, camt.053, and a kill -9 mid-flight."""

import datetime
import time
from collections import Counter

import httpx
import pytest

from payments.intents.errors import RailConflict
from payments.intents.rails import OutcomeKind, RailOutcome, RailRequest
from payments.rails.bank import camt, pain002
from payments.rails.bank.client import INITIATION_PATH, BankRail
from payments.rails.bank.pain002 import TransferStatus
from payments.rails.bank.statements import BankStatements
from payments.rails.bank.xsd import Message, root_message
from payments.reconciliation.lines import LineKind
from payments.sandbox.bank.accounts import UNKNOWN_IBAN
from payments.webhooks.signing import HEADER, verify
from tests.helpers.sandbox_bank import COLLECTION, WEBHOOK_SECRET, BankProcess
from tests.helpers.webhook_receiver import Received, Receiver

FUNDED = "DE93999999990000000001"
SHORT = "DE66999999990000000002"
CLOSED = "DE39999999990000000003"
RETURNING = "DE12999999990000000004"


def payment(intent_id: str, iban: str, amount: int = 5_000, attempt: int = 1) -> RailRequest:
    return RailRequest(
        idempotency_key=f"{intent_id}:authorize:{attempt}",
        payment_intent_id=intent_id,
        merchant_id="acct_merchant_a",
        livemode=False,
        currency="EUR",
        amount=amount,
        payment_method=iban,
        capture=True,
    )


def refund(intent_id: str, refund_id: str, iban: str, amount: int = 5_000) -> RailRequest:
    return RailRequest(
        f"{intent_id}:refund:{refund_id}", intent_id, "acct_merchant_a", False, "EUR", amount, iban
    )


def reports(received: list[Received]) -> list[pain002.StatusReport | camt.Report]:
    """Each webhook, its signature checked, as the report it carries."""
    parsed: list[pain002.StatusReport | camt.Report] = []
    for request in received:
        verify(request.headers.get(HEADER), request.body, [WEBHOOK_SECRET])
        message = root_message(request.body)
        assert request.headers["Content-Type"] == "application/xml"
        if message is Message.PAIN_002:
            parsed.append(pain002.parse(request.body))
        else:
            assert message is Message.CAMT_054
            parsed.append(camt.parse_notification(request.body))
    return parsed


def test_a_funded_account_settles_after_the_delay_and_notifies_the_collection_account(
    rail: BankRail, receiver: Receiver
) -> None:
    """The demo's bank leg: accepted at once, then after the delay a pain.002 ACSC and a camt.054 booking the
    credit on our collection account, both signed."""
    started = time.monotonic()
    assert rail.authorize(payment("pi_funded", FUNDED)) == RailOutcome(OutcomeKind.PROCESSING)
    status, notification = reports(receiver.wait_for(2))
    assert time.monotonic() - started >= 0.5
    assert isinstance(status, pain002.StatusReport)
    assert isinstance(notification, camt.Report)
    assert status.status is TransferStatus.ACCEPTED_SETTLEMENT_COMPLETED
    assert (status.end_to_end_id, status.remittance) == ("pi_funded", "pi_funded:authorize:1")
    assert notification.iban == COLLECTION.iban
    [entry] = notification.entries
    assert (entry.credit, entry.amount, entry.currency, entry.is_return) == (True, 5_000, "EUR", False)
    assert (entry.end_to_end_id, entry.remittance) == ("pi_funded", "pi_funded:authorize:1")


@pytest.mark.parametrize(
    ("iban", "kind", "code"),
    [(UNKNOWN_IBAN, OutcomeKind.DECLINED, "AC01"), (CLOSED, OutcomeKind.FAILED, "AC04")],
)
def test_an_unknown_or_closed_account_is_rejected_at_once(
    rail: BankRail, receiver: Receiver, iban: str, kind: OutcomeKind, code: str
) -> None:
    assert rail.authorize(payment("pi_rejected", iban)) == RailOutcome(kind, decline_code=code)
    time.sleep(1.0)
    assert receiver.received == []


def test_insufficient_funds_are_found_at_execution(rail: BankRail, receiver: Receiver) -> None:
    assert rail.authorize(payment("pi_short", SHORT, amount=1_001)).kind is OutcomeKind.PROCESSING
    [status] = reports(receiver.wait_for(1))
    assert isinstance(status, pain002.StatusReport)
    assert (status.status, status.reason, status.end_to_end_id) == (
        TransferStatus.REJECTED,
        "AM04",
        "pi_short",
    )
    time.sleep(0.5)
    assert len(receiver.received) == 1


def test_a_blocked_account_returns_the_payment_after_settlement(rail: BankRail, receiver: Receiver) -> None:
    assert rail.authorize(payment("pi_returned", RETURNING)).kind is OutcomeKind.PROCESSING
    status, notification = reports(receiver.wait_for(2))
    assert isinstance(status, pain002.StatusReport)
    assert isinstance(notification, camt.Report)
    credit, returned = notification.entries
    assert (credit.credit, credit.is_return) == (True, False)
    assert (returned.credit, returned.return_reason, returned.amount) == (False, "AC06", 5_000)


def test_a_refund_is_a_transfer_from_the_collection_account(rail: BankRail, receiver: Receiver) -> None:
    rail.authorize(payment("pi_paid", FUNDED))
    receiver.wait_for(2)
    assert rail.refund(refund("pi_paid", "re_1", FUNDED, 2_000)).kind is OutcomeKind.PROCESSING
    *_, status, notification = reports(receiver.wait_for(4))
    assert isinstance(notification, camt.Report)
    assert isinstance(status, pain002.StatusReport)
    [entry] = notification.entries
    assert (entry.credit, entry.amount, entry.end_to_end_id, entry.remittance) == (
        False,
        2_000,
        "re_1",
        "pi_paid:refund:re_1",
    )


def test_a_refund_the_collection_account_cannot_cover_is_rejected_with_am04(
    rail: BankRail, receiver: Receiver
) -> None:
    assert rail.refund(refund("pi_none", "re_2", FUNDED)).kind is OutcomeKind.PROCESSING
    [status] = reports(receiver.wait_for(1))
    assert isinstance(status, pain002.StatusReport)
    assert (status.status, status.reason) == (TransferStatus.REJECTED, "AM04")


def test_a_resubmitted_message_is_answered_once_and_a_reused_msgid_is_refused(
    rail: BankRail, receiver: Receiver
) -> None:
    first = rail.authorize(payment("pi_twice", FUNDED))
    assert rail.authorize(payment("pi_twice", FUNDED)) == first
    with pytest.raises(RailConflict):
        rail.authorize(payment("pi_twice", FUNDED, amount=6_000))
    receiver.wait_for(2)
    time.sleep(0.5)
    assert len(receiver.received) == 2, "the transfer was executed once"


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"/>',
        b'<!DOCTYPE d [<!ENTITY e "x">]><d>&e;</d>',
    ],
)
def test_a_document_the_schema_refuses_is_answered_400_with_ff01(bank: BankProcess, body: bytes) -> None:
    answer = httpx.post(bank.url + INITIATION_PATH, content=body, headers={"Content-Type": "application/xml"})
    assert answer.status_code == 400
    report = pain002.parse(answer.content)
    assert (report.status, report.reason, report.end_to_end_id) == (TransferStatus.REJECTED, "FF01", None)


def test_webhooks_are_retried_until_taken_with_the_same_bytes(rail: BankRail, receiver: Receiver) -> None:
    """The pain.002 meets a 500, the camt.054 a 503: each is sent again, byte for byte, then no more."""
    receiver.statuses = [500, 503, 200]
    rail.authorize(payment("pi_retried", FUNDED))
    received = receiver.wait_for(4)
    time.sleep(1.5)
    assert len(receiver.received) == 4, "each webhook stops once taken"
    attempts = Counter(request.body for request in received)
    assert sorted(attempts.values()) == [2, 2]
    assert {root_message(body) for body in attempts} == {Message.PAIN_002, Message.CAMT_054}
    reports(received)


def test_the_statement_lists_the_days_bookings(rail: BankRail, bank: BankProcess, receiver: Receiver) -> None:
    rail.authorize(payment("pi_stated", FUNDED, amount=7_000))
    rail.authorize(payment("pi_bounced", RETURNING, amount=3_000))
    receiver.wait_for(4)
    rail.refund(refund("pi_stated", "re_stated", FUNDED, 1_500))
    receiver.wait_for(6)
    statements = BankStatements(bank.connection())
    today = datetime.datetime.now(datetime.UTC).date()
    lines = sorted(statements.lines(today), key=lambda line: (line.reference, line.kind))
    # The bounced payment's credit and its return cancel out: our books never posted it either.
    assert [(line.reference, line.kind, line.amount) for line in lines] == [
        ("pi_stated", LineKind.PAYMENT, 7_000),
        ("re_stated", LineKind.REFUND, 1_500),
    ]
    report = camt.parse_statement(statements.statement(today))
    assert len(report.entries) == 4  # the bounced payment's credit and its return are on it
    assert (report.opening_balance, report.closing_balance) == (0, 5_500)
    assert statements.lines(today - datetime.timedelta(days=1)) == []


def test_a_bank_killed_mid_flight_settles_after_its_restart_and_notifies_once(
    bank: BankProcess, receiver: Receiver
) -> None:
    bank.kill()
    bank.settlement_delay_seconds = 1.5
    bank.start()
    rail = BankRail(bank.connection())
    try:
        assert rail.authorize(payment("pi_crash", FUNDED)).kind is OutcomeKind.PROCESSING
        bank.kill()
        time.sleep(2.0)
        assert receiver.received == [], "a dead bank settles nothing"
        bank.start()
        assert rail.authorize(payment("pi_crash", FUNDED)).kind is OutcomeKind.PROCESSING
        received = receiver.wait_for(2)
        time.sleep(1.0)
    finally:
        rail.close()
    assert len(receiver.received) == 2
    assert sorted(str(root_message(request.body)) for request in received) == [
        "camt.054.001.08",
        "pain.002.001.12",
    ]


def test_a_refund_to_a_blocked_account_is_returned_to_the_collection_account(
    rail: BankRail, receiver: Receiver
) -> None:
    rail.authorize(payment("pi_funds", FUNDED))
    receiver.wait_for(2)
    assert rail.refund(refund("pi_funds", "re_blocked", RETURNING, 1_000)).kind is OutcomeKind.PROCESSING
    notification = reports(receiver.wait_for(4))[-1]
    assert isinstance(notification, camt.Report)
    debit, returned = notification.entries
    assert (debit.credit, debit.is_return, debit.end_to_end_id) == (False, False, "re_blocked")
    assert (returned.credit, returned.return_reason, returned.amount) == (True, "AC06", 1_000)
