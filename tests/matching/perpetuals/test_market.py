"""The Perpetual's wiring: prices from an IndexSource, margin calls once per episode, funding paid."""

from __future__ import annotations

from fractions import Fraction

from matching.engine import Side
from matching.perpetuals import records as rec
from matching.perpetuals.index import AmmIndexSource, BookQuote
from matching.perpetuals.records import FundingPaid, MarginCall, Reason

from .helpers import SPEC, Venue
from .test_index_mark import FakePool


def test_prices_come_from_the_pool_and_the_book() -> None:
    v = Venue()
    source = AmmIndexSource(FakePool(Fraction(1_040)), "0xTPW")  # 1040 ticks with the test spec
    v.perp.update_from(2, source, BookQuote(bid=1_000, ask=1_020, last=1_010))
    assert v.perp.index == 1_020  # the pool clamped into the spread
    assert v.perp.mark == 1_015  # fair median(1000, 1020, 1010) = 1010, raised into 1020's band [1015, 1025]


def test_a_margin_call_is_recorded_once_until_the_account_recovers() -> None:
    v = Venue().funded((1, 2_000), (2, 10_000))
    v.trade(1, 2, 10, 1_000)
    first = v.move(860)
    assert [(type(r), r.account) for r in first] == [(MarginCall, 1)]
    assert isinstance(first[0], MarginCall)
    assert first[0].reason is Reason.EQUITY_BELOW_CALL_LEVEL
    assert v.move(855) == []
    assert v.move(1_000) == []
    assert len(v.move(860)) == 1


def test_funding_is_paid_from_longs_to_shorts_and_sums_to_zero() -> None:
    v = Venue().funded((1, 10_000), (2, 10_000), (3, 10_000))
    v.trade(1, 2, 6, 1_000)
    v.trade(1, 3, 4, 1_000)
    v.move(1_000, BookQuote(bid=990, ask=1_010, last=1_010))  # index 1000, mark 1005: +5000 ppm
    assert v.perp.settle_funding(v.ts) == []  # not due yet
    v.ts += SPEC.funding_interval
    paid = [r for r in v.perp.settle_funding(v.ts) if isinstance(r, FundingPaid)]
    assert len(paid) == 3
    assert all(r.rate_ppm == 4_500 for r in paid)
    amounts = {r.account: r.amount for r in paid}
    assert amounts[1] == -(10 * 1_005 * 4_500 // 1_000_000)
    assert sum(amounts.values()) == 0
    assert amounts[2] > 0
    assert amounts[3] > 0
    assert v.perp.conserved() == v.perp.deposited


def scenario() -> list[object]:
    v = Venue().funded((1, 2_000), (2, 3_000), (3, 20_000), (4, 20_000), (5, 50_000))
    v.trade(1, 2, 10, 1_000)
    v.trade(3, 4, 10, 1_000)
    v.rest(5, Side.BUY, 3, 820)
    v.move(810, BookQuote(bid=800, ask=820, last=805))
    v.liquidate()
    v.ts += SPEC.funding_interval
    v.perp.settle_funding(v.ts)
    return [*v.perp.records, [(a.id, a.collateral, a.position) for a in v.perp.everyone()]]


def test_the_same_inputs_give_the_same_records_and_state() -> None:
    first = scenario()
    assert first == scenario()
    assert any(isinstance(r, rec.LiquidationStarted) for r in first)
