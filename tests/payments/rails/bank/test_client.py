"""The bank rail's refusals that need no bank: a payment method that is not an IBAN, a manual capture,
another mode, a capture or cancel, a bank that does not answer; each names its field, nothing is sent. And
a refund's IBAN screened before anything is sent: a listed one held, no list no refund."""

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

import risk.screening.schema
from api.db import make_engine
from payments.intents.errors import InvalidRequest, RailRefused
from payments.intents.rails import OutcomeKind, RailOutcome, RailRequest
from payments.rails.bank import holds
from payments.rails.bank.accounts import checked_bic, checked_iban
from payments.rails.bank.client import BankConnection, BankRail
from payments.rails.bank.pain001 import Party
from risk.screening import sdn
from risk.screening.index import ListIndex
from risk.screening.model import Standing, Trigger
from risk.screening.screenings import Screener
from tests.risk.screening.conftest import SAMPLE_DIR

COLLECTION = Party("TPWallet collection", "DE75999999991000000000", "TPWSDEB1XXX")
LISTED_IBAN = "DE62 3704 0044 0532 0130 01"  # entry 9002 of the shipped sample list


@pytest.fixture
def rail() -> BankRail:
    """A rail whose bank is a loopback port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    return BankRail(BankConnection(url, COLLECTION, timeout_seconds=1.0))


def request(method: str | None, *, capture: bool = True, livemode: bool = False) -> RailRequest:
    return RailRequest("pi_1:authorize:1", "pi_1", "acct_a", livemode, "EUR", 1_000, method, capture)


@pytest.mark.parametrize(
    ("method", "why"),
    [
        ("DE93999999990000000002", "checksum"),
        ("DE9399999999000000000", "length"),
        ("XX93999999990000000001", "country"),
        ("pm_card_visa", "characters"),
        (None, "required"),
    ],
)
def test_a_payment_method_that_is_not_an_iban_is_refused_naming_the_field(
    rail: BankRail, method: str | None, why: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        rail.authorize(request(method))
    assert refused.value.field == "payment_method"
    assert "IBAN" in refused.value.detail


def test_spaces_and_lower_case_in_an_iban_are_forgiven() -> None:
    assert checked_iban("de93 9999 9999 0000 0000 01", "payment_method").compact == "DE93999999990000000001"


def test_a_bad_bic_names_its_field() -> None:
    with pytest.raises(InvalidRequest) as refused:
        checked_bic("TPWSQQB1XXX", "bank_collection_bic")
    assert refused.value.field == "bank_collection_bic"


def test_a_bank_transfer_cannot_be_held_for_a_manual_capture(rail: BankRail) -> None:
    with pytest.raises(InvalidRequest) as refused:
        rail.authorize(request("DE93999999990000000001", capture=False))
    assert refused.value.field == "capture_method"


def test_a_sandbox_bank_serves_no_live_payment(rail: BankRail) -> None:
    with pytest.raises(InvalidRequest) as refused:
        rail.authorize(request("DE93999999990000000001", livemode=True))
    assert refused.value.field == "rail"


def test_capture_and_cancel_are_refused(rail: BankRail) -> None:
    with pytest.raises(RailRefused):
        rail.capture(request("DE93999999990000000001"))
    with pytest.raises(RailRefused):
        rail.cancel(request("DE93999999990000000001"))


def test_a_bank_that_does_not_answer_is_the_rail_unavailable(rail: BankRail) -> None:
    with pytest.raises(InvalidRequest) as refused:
        rail.authorize(request("DE93999999990000000001"))
    assert refused.value.field == "rail"


@pytest.fixture
def screener(tmp_path: Path) -> Iterator[Screener]:
    """A screener on the shipped sample list, its records (and the rail's held refunds) in a SQLite file of
    the test's own."""
    engine = make_engine(f"sqlite:///{tmp_path / 'screening.db'}")
    risk.screening.schema.metadata.create_all(engine)
    holds.metadata.create_all(engine)
    yield Screener(engine, ListIndex(sdn.load(SAMPLE_DIR)), clock=lambda: 1_796_000_000_000)
    engine.dispose()


def refund_to(iban: str) -> RailRequest:
    return RailRequest("pi_1:refund:re_1", "pi_1", "acct_a", False, "EUR", 500, iban)


def test_a_refund_to_a_listed_iban_is_held_without_asking_the_bank(
    rail: BankRail, screener: Screener
) -> None:
    screened = BankRail(rail.connection, screener=lambda: screener)
    held = screened.refund(refund_to(LISTED_IBAN))  # the bank does not answer: it was never asked
    assert held == RailOutcome(OutcomeKind.PROCESSING)
    [screening] = screener.latest("re_1")
    assert (screening.standing, screening.trigger, screening.value) == (
        Standing.BLOCKED,
        Trigger.PAYOUT,
        "DE62370400440532013001",
    )
    assert holds.hold_status(screener.engine, "re_1") is holds.HoldStatus.BLOCKED


def test_a_refund_to_an_unlisted_iban_is_sent(rail: BankRail, screener: Screener) -> None:
    screened = BankRail(rail.connection, screener=lambda: screener)
    with pytest.raises(InvalidRequest, match="the bank did not answer"):  # sent: the bank was asked
        screened.refund(refund_to("DE93999999990000000001"))
    assert screener.standing("re_1") is Standing.CLEAR


def test_no_usable_list_no_refund(rail: BankRail) -> None:
    def unavailable() -> Screener:
        raise RuntimeError("no usable sanctions list")

    with pytest.raises(RuntimeError, match="no usable sanctions list"):
        BankRail(rail.connection, screener=unavailable).refund(refund_to("DE93999999990000000001"))
