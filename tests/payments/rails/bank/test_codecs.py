"""The ISO 20022 codecs: what is built is valid against the shipped XSD and reads back as it was; what breaks
the schema is refused on the way out and on the way in; amounts never lose or gain a digit."""

import datetime
from decimal import Decimal

import pytest

from payments.rails.bank import camt, pain001, pain002
from payments.rails.bank.amounts import from_decimal, to_decimal
from payments.rails.bank.camt import Entry, Report
from payments.rails.bank.pain001 import CreditTransfer, Party
from payments.rails.bank.pain002 import StatusReport, TransferStatus
from payments.rails.bank.references import StepReference, end_to_end_id, message_id
from payments.rails.bank.xsd import InvalidMessage, Message, decode, root_message, schema

NOW = datetime.datetime(2026, 12, 7, 10, 30, tzinfo=datetime.UTC)
CUSTOMER = Party("Ada Funded", "DE93999999990000000001")
COLLECTION = Party("TPWallet collection", "DE75999999991000000000", "TPWSDEB1XXX")


def transfer(**changes: object) -> CreditTransfer:
    values: dict[str, object] = {
        "message_id": message_id("pi_1:authorize:1"),
        "created_at": NOW,
        "end_to_end_id": "pi_1",
        "remittance": "pi_1:authorize:1",
        "amount": 12_345,
        "currency": "EUR",
        "debtor": CUSTOMER,
        "creditor": COLLECTION,
        "initiator": "TPWallet collection",
    }
    return CreditTransfer(**(values | changes))  # type: ignore[arg-type]


def test_every_message_has_its_official_schema() -> None:
    for message in Message:
        assert schema(message).target_namespace == f"urn:iso:std:iso:20022:tech:xsd:{message.value}"


def test_a_pain001_round_trips_through_its_schema() -> None:
    body = pain001.build(transfer())
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert root_message(body) is Message.PAIN_001
    assert schema(Message.PAIN_001).is_valid(body.decode())
    assert b'<InstdAmt Ccy="EUR">123.45</InstdAmt>' in body
    assert pain001.parse(body) == transfer()


@pytest.mark.parametrize(
    "changes",
    [
        {"end_to_end_id": "x" * 36},  # Max35Text
        {"remittance": "r" * 141},  # Max140Text
        {"amount": -5},  # ActiveOrHistoricCurrencyAndAmount: not negative
        {"debtor": Party("Ada", "not an iban")},  # IBAN2007Identifier
        {"creditor": Party("Us", COLLECTION.iban, "BIC")},  # BICFIDec2014Identifier
    ],
)
def test_a_pain001_breaking_the_schema_is_not_built(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidMessage, match="refused by its schema"):
        pain001.build(transfer(**changes))


def test_a_document_breaking_the_schema_is_not_read() -> None:
    body = pain001.build(transfer())
    with pytest.raises(InvalidMessage, match="refused by its schema"):
        pain001.parse(body.replace(b"<PmtMtd>TRF</PmtMtd>", b"<PmtMtd>XXX</PmtMtd>"))
    with pytest.raises(InvalidMessage):
        pain001.parse(body.replace(b"<CtrlSum>123.45</CtrlSum>", b"<CtrlSum>999.99</CtrlSum>", 1))
    with pytest.raises(InvalidMessage, match=r"pain\.002"):
        pain002.parse(body)


def test_xml_entities_and_non_utf8_are_refused_before_validation() -> None:
    with pytest.raises(InvalidMessage, match="well-formed"):
        decode(Message.PAIN_002, b'<!DOCTYPE d [<!ENTITY e "x">]><d>&e;</d>')
    with pytest.raises(InvalidMessage, match="well-formed"):
        decode(Message.PAIN_002, b"\xff\xfe<")


@pytest.mark.parametrize(
    "report",
    [
        StatusReport("ST1", NOW, "TPWx", TransferStatus.REJECTED, "FF01"),
        StatusReport(
            "ST2", NOW, "TPWx", TransferStatus.REJECTED, "AM04", "pi_1", "pi_1:authorize:1", 5, "EUR"
        ),
        StatusReport("ST3", NOW, "TPWx", TransferStatus.ACCEPTED_TECHNICAL, None, "pi_1", "pi_1:authorize:1"),
    ],
)
def test_a_pain002_round_trips(report: StatusReport) -> None:
    assert pain002.parse(pain002.build(report)) == report


def test_camt054_and_camt053_round_trip() -> None:
    day = NOW.date()
    entries = (
        Entry("BK1", True, 12_345, "EUR", day, "pi_1", "pi_1:authorize:1"),
        Entry("BK2", False, 12_345, "EUR", day, "pi_1", "pi_1:authorize:1", "AC06"),
    )
    notification = Report("NT1", NOW, COLLECTION.iban, entries)
    assert camt.parse_notification(camt.build_notification(notification)) == notification
    statement = Report("SM1", NOW, COLLECTION.iban, entries, -100, -100, day)
    body = camt.build_statement(statement, "EUR")
    assert root_message(body) is Message.CAMT_053
    assert camt.parse_statement(body) == statement
    empty = Report("SM2", NOW, COLLECTION.iban, (), 0, 0, day)
    assert camt.parse_statement(camt.build_statement(empty, "EUR")) == empty


@pytest.mark.parametrize(
    ("minor", "currency", "text"), [(12_345, "EUR", "123.45"), (500, "JPY", "500"), (1, "BHD", "0.001")]
)
def test_amounts_are_exact_both_ways(minor: int, currency: str, text: str) -> None:
    assert to_decimal(minor, currency) == Decimal(text)
    assert from_decimal(Decimal(text), currency) == minor


def test_an_amount_finer_than_its_currency_is_refused() -> None:
    with pytest.raises(InvalidMessage, match="decimal places"):
        from_decimal(Decimal("1.234"), "EUR")


def test_ids_fit_35_characters_and_are_stable() -> None:
    assert message_id("pi_1:authorize:1") == message_id("pi_1:authorize:1") != message_id("pi_1:authorize:2")
    assert len(message_id("k" * 200)) == 35
    assert end_to_end_id("re_" + "a" * 24) == "re_" + "a" * 24
    long_refund = "refund-" + "z" * 33
    assert len(end_to_end_id(long_refund)) == 35
    step = StepReference.parse(f"pi_1:refund:{long_refund}", end_to_end_id(long_refund))
    assert (step.payment_intent_id, step.refund_id, step.object_id) == ("pi_1", long_refund, long_refund)


def test_a_remittance_that_does_not_match_the_end_to_end_id_is_refused() -> None:
    assert StepReference.parse("pi_1:authorize:3", "pi_1") == StepReference("pi_1", attempt=3)
    with pytest.raises(InvalidMessage, match="EndToEndId"):
        StepReference.parse("pi_1:authorize:3", "pi_2")
    with pytest.raises(InvalidMessage, match="none of our steps"):
        StepReference.parse("invoice 42", "pi_1")
