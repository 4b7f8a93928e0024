"""The bank rail's refusals that need no bank: a payment method that is not an IBAN, a manual capture,
another mode, a capture or cancel, a bank that does not answer; each names its field, nothing is sent."""

import socket

import pytest

from payments.intents.errors import InvalidRequest, RailRefused
from payments.intents.rails import RailRequest
from payments.rails.bank.accounts import checked_bic, checked_iban
from payments.rails.bank.client import BankConnection, BankRail
from payments.rails.bank.pain001 import Party

COLLECTION = Party("TPWallet collection", "DE75999999991000000000", "TPWSDEB1XXX")


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
