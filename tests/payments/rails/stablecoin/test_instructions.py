"""The stablecoin rail without a chain: intent ids to bytes32 and back, token amounts, and what the rail
answers or refuses (naming the field) for each step."""

import pytest

from payments.intents.errors import InvalidRequest
from payments.intents.rails import OutcomeKind, RailRequest
from payments.rails.stablecoin.config import StablecoinConfig
from payments.rails.stablecoin.instructions import NoIntentKey, instructions_for, intent_id_of, intent_key
from payments.rails.stablecoin.rail import StablecoinRail

CONFIG = StablecoinConfig(
    chain_id=31337,
    router="0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
    token="0x5FbDB2315678afecb367f032d93F642f64180aa3",
    token_symbol="tUSD",
    token_decimals=6,
    currency="USD",
    livemode=False,
)
INTENT_ID = "pi_0123456789abcdef01234567"


def request(**changes: object) -> RailRequest:
    fields: dict[str, object] = {
        "idempotency_key": f"{INTENT_ID}:authorize:1",
        "payment_intent_id": INTENT_ID,
        "merchant_id": "mch_a",
        "livemode": False,
        "currency": "USD",
        "amount": 1234,
        "payment_method": "wallet",
        "capture": True,
    } | changes
    return RailRequest(**fields)  # type: ignore[arg-type]


def test_an_intent_id_is_its_ascii_zero_padded_and_reads_back() -> None:
    key = intent_key(INTENT_ID)
    assert key == INTENT_ID.encode() + b"\x00" * 5
    assert intent_id_of(key) == INTENT_ID
    assert intent_key("x" * 32) == b"x" * 32


@pytest.mark.parametrize("intent_id", ["", "x" * 33, "pi_é", "pi_\x00"])
def test_ids_that_fit_no_bytes32_are_refused(intent_id: str) -> None:
    with pytest.raises(NoIntentKey):
        intent_key(intent_id)


@pytest.mark.parametrize(
    "key",
    [b"\x00" * 32, b"\xff" * 32, b"pi_\x00abc".ljust(32, b"\x00"), b"pi_\n".ljust(32, b"\x00"), b"short"],
)
def test_keys_that_name_no_intent_are_told_apart(key: bytes) -> None:
    with pytest.raises(NoIntentKey):
        intent_id_of(key)


def test_token_amounts_scale_cents_to_the_tokens_decimals() -> None:
    assert CONFIG.scale == 10_000
    how = instructions_for(CONFIG, INTENT_ID, 1234)
    assert (how.token_amount, how.intent_key) == (12_340_000, "0x" + intent_key(INTENT_ID).hex())
    assert (how.router, how.token, how.chain_id) == (CONFIG.router, CONFIG.token, 31337)


def test_a_token_with_fewer_decimals_than_the_currency_is_refused() -> None:
    config = StablecoinConfig(31337, CONFIG.router, CONFIG.token, "X", 1, "USD", False)
    with pytest.raises(ValueError, match="fewer decimals"):
        config.token_amount(1)


def test_confirming_waits_for_the_payment() -> None:
    assert StablecoinRail(CONFIG).authorize(request()).kind is OutcomeKind.PROCESSING


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"capture": False}, "capture_method"),
        ({"currency": "EUR"}, "currency"),
        ({"livemode": True}, "livemode"),
        ({"payment_intent_id": "pi_" + "0" * 40}, "payment_intent"),
    ],
)
def test_what_cannot_be_paid_on_chain_is_refused_naming_the_field(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        StablecoinRail(CONFIG).authorize(request(**changes))
    assert refused.value.field == field


def test_cancel_releases_nothing_and_capture_is_refused() -> None:
    rail = StablecoinRail(CONFIG)
    assert rail.cancel(request(amount=0)).kind is OutcomeKind.SUCCEEDED
    assert rail.capture(request()).kind is OutcomeKind.FAILED


def test_a_refund_waits_for_its_payout_or_is_refused_without_a_payout_worker() -> None:
    assert StablecoinRail(CONFIG, refunds=True).refund(request()).kind is OutcomeKind.PROCESSING
    assert StablecoinRail(CONFIG).refund(request()).decline_code == "stablecoin_refunds_unavailable"
