"""Split payments: shares summing to the amount, every later movement divided exactly, all or none."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from ledger.model import TransferSpec
from ledger.transfers import create_transfer
from payments.intents import intents, refunds
from payments.intents.context import Payments
from payments.intents.errors import InvalidAmount, InvalidRequest, LedgerRefused
from payments.intents.model import FeeSchedule, IntentStatus, ShareSpec
from payments.intents.postings import clearing_account, merchant_account, reference, transfer_id
from payments.intents.split import MAX_SHARES, allocate
from tests.payments.intents.conftest import TENANT, assert_ledger_clean, fees, new_intent, pending, posted

SHARES = [
    ShareSpec("acct_seller_1", 5_000),
    ShareSpec("acct_seller_2", 3_000),
    ShareSpec("acct_platform", 2_000),
]


@given(
    weights=st.lists(st.integers(0, 10**12), min_size=1, max_size=MAX_SHARES).filter(lambda w: sum(w) > 0),
    fraction=st.fractions(0, 1),
)
def test_allocate_divides_exactly_and_within_each_weight(weights: list[int], fraction: object) -> None:
    total = int(sum(weights) * fraction)  # type: ignore[operator]
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert all(0 <= part <= weight for part, weight in zip(parts, weights, strict=True))
    exact = [total * weight / sum(weights) for weight in weights]
    assert all(abs(part - share) < 1 for part, share in zip(parts, exact, strict=True))


def test_allocate_rounds_ties_to_the_earlier_share() -> None:
    assert allocate(1, [1, 1, 1]) == [1, 0, 0]
    assert allocate(2, [1, 1, 1]) == [1, 1, 0]
    assert allocate(2, [0, 3]) == [0, 2]
    with pytest.raises(ValueError, match="cannot divide 4"):
        allocate(4, [0, 3])


def test_a_split_payment_captured_in_part_refunded_in_part(pay: Payments, engine: Engine) -> None:
    intent = new_intent(pay, shares=SHARES, fee_schedule=FeeSchedule(bps=100, fixed=0))
    intents.confirm(pay, TENANT, intent.id)
    assert [pending(engine, share.destination) for share in SHARES] == [5_000, 3_000, 2_000]
    captured = intents.capture(pay, TENANT, intent.id, 7_001)  # fee 70
    assert [share.captured for share in captured.shares] == [3_501, 2_100, 1_400]
    assert [share.fee for share in captured.shares] == [35, 21, 14]
    assert [posted(engine, share.destination) for share in SHARES] == [3_466, 2_079, 1_386]
    assert [pending(engine, share.destination) for share in SHARES] == [0, 0, 0]
    assert fees(engine) == 70
    refunds.refund(pay, TENANT, intent.id, 1_000)
    after = intents.retrieve(pay, TENANT, intent.id)
    assert [share.refunded for share in after.shares] == [500, 300, 200]
    assert sum(posted(engine, share.destination) for share in SHARES) == 7_001 - 70 - 1_000
    assert_ledger_clean(engine)


def test_a_share_captured_at_zero_is_released(pay: Payments, engine: Engine) -> None:
    shares = [ShareSpec("acct_seller_1", 9_999), ShareSpec("acct_seller_2", 1)]
    intent = new_intent(pay, shares=shares)
    intents.confirm(pay, TENANT, intent.id)
    captured = intents.capture(pay, TENANT, intent.id, 10)
    assert [share.captured for share in captured.shares] == [10, 0]
    assert (pending(engine, "acct_seller_2"), posted(engine, "acct_seller_2")) == (0, 0)
    assert_ledger_clean(engine)


@pytest.mark.parametrize(
    ("shares", "field"),
    [
        ([ShareSpec("a", 5_000), ShareSpec("b", 4_999)], "shares"),
        ([ShareSpec("a", 5_000), ShareSpec("a", 5_000)], "shares"),
        ([ShareSpec("a", 10_000), ShareSpec("b", 0)], "shares.1.amount"),
        ([ShareSpec("", 10_000)], "shares.0.destination"),
        ([], "shares"),
    ],
)
def test_bad_splits_are_refused(pay: Payments, shares: list[ShareSpec], field: str) -> None:
    with pytest.raises((InvalidAmount, InvalidRequest)) as caught:
        new_intent(pay, shares=shares)
    assert caught.value.field == field


def test_a_split_authorizes_all_shares_or_none(pay: Payments, engine: Engine) -> None:
    intent = new_intent(pay, shares=SHARES)
    # Occupy the last share's transfer id with another transfer: its authorization must fail, and with it all.
    ref = reference(intent.id, "authorize", 2)
    clearing = clearing_account("EUR", False, intent.rail)
    seller = merchant_account("EUR", False, "acct_seller_1")
    squatter = TransferSpec(ref, clearing.id, seller.id, 1, "EUR", id=transfer_id("EUR", ref))
    assert create_transfer(engine, squatter).ok
    with pytest.raises(LedgerRefused):
        intents.confirm(pay, TENANT, intent.id)
    assert intents.retrieve(pay, TENANT, intent.id).status is IntentStatus.REQUIRES_CONFIRMATION
    assert [pending(engine, share.destination) for share in SHARES] == [0, 0, 0]
    assert_ledger_clean(engine)
