"""Liquidation in tiers through the book, the fund's take-over and fee, ADL, and the records."""

from __future__ import annotations

import dataclasses

from matching.engine import Kind, Side, Tif
from matching.perpetuals import records as rec
from matching.perpetuals.accounts import Account, apply_fill
from matching.perpetuals.liquidation import (
    adl_queue,
    bankruptcy_price,
    liquidation_order,
    partial_lots,
    plan_liquidation,
)
from matching.perpetuals.margin import fee, maintenance_margin
from matching.perpetuals.market import FUND_ID
from matching.perpetuals.spec import PerpSpec

from .helpers import SPEC, Venue


def long_account(collateral: int, lots: int, price: int) -> Account:
    a = Account(1, collateral=collateral)
    apply_fill(a, lots, price, SPEC)
    return a


def test_bankruptcy_price_rounds_in_the_accounts_favour() -> None:
    a = long_account(2_001, 10, 1_000)  # (10000 − 2001) / 10 = 799.9 → 800
    assert bankruptcy_price(a, SPEC) == 800
    assert a.equity(800, SPEC) >= 0
    assert a.equity(799, SPEC) < 0
    s = Account(2, collateral=2_001)
    apply_fill(s, -10, 1_000, SPEC)  # (−10000 − 2001) / −10 = 1200.1 → 1200
    assert bankruptcy_price(s, SPEC) == 1_200
    assert s.equity(1_200, SPEC) >= 0
    assert s.equity(1_201, SPEC) < 0


def test_partial_is_the_smallest_close_that_restores_maintenance() -> None:
    a = long_account(2_000, 10, 1_000)
    plan = plan_liquidation(a, 834, SPEC)  # equity 340 < 417
    assert plan is not None
    assert plan.tier is rec.LiquidationTier.PARTIAL
    lots = partial_lots(a, 834, SPEC)
    assert plan.lots == -lots
    assert 0 < lots < 10
    # equity − fee(lots) ≥ MM(rest), and one lot fewer would not do
    assert 340 - fee(lots, 834, 50, SPEC) >= maintenance_margin(10 - lots, 834, SPEC)
    assert 340 - fee(lots - 1, 834, 50, SPEC) < maintenance_margin(11 - lots, 834, SPEC)
    assert plan_liquidation(a, 900, SPEC) is None


def test_bankrupt_at_the_mark_is_liquidated_in_full() -> None:
    a = long_account(2_000, 10, 1_000)
    plan = plan_liquidation(a, 790, SPEC)
    assert plan is not None
    assert plan.tier is rec.LiquidationTier.FULL
    assert plan.lots == -10
    assert plan.reason is rec.Reason.EQUITY_NEGATIVE
    order = liquidation_order(plan, 77, 5)
    assert (order.side, order.kind, order.tif, order.reduce_only) == (Side.SELL, Kind.LIMIT, Tif.IOC, True)
    assert (order.qty, order.price, order.order_id, order.ts) == (10, 800, 77, 5)


def test_partial_through_the_book_pays_the_fund_and_restores_the_account() -> None:
    v = Venue().funded((1, 2_000), (2, 10_000), (3, 50_000))
    v.trade(1, 2, 10, 1_000)
    v.rest(3, Side.BUY, 100, 830)  # liquidity for the liquidation
    calls = v.move(834)
    assert len(calls) == 1
    assert isinstance(calls[0], rec.MarginCall)
    assert calls[0].reason is rec.Reason.EQUITY_BELOW_MAINTENANCE
    records = v.liquidate()
    started = [r for r in records if isinstance(r, rec.LiquidationStarted)]
    assert len(started) == 1
    assert started[0].tier is rec.LiquidationTier.PARTIAL
    filled = [r for r in records if isinstance(r, rec.LiquidationFilled)]
    assert filled
    assert all(r.price == 830 for r in filled)
    assert filled[0].fee > 0
    one = v.perp.accounts[1]
    assert 0 < one.position.size < 10
    assert v.perp.fund.collateral == sum(r.fee for r in filled)
    assert v.liquidate() == []  # restored: nothing more to do
    assert v.perp.conserved() == v.perp.deposited


def test_an_unfilled_full_liquidation_is_taken_over_by_the_fund() -> None:
    v = Venue().funded((1, 2_000), (2, 10_000))
    v.perp.deposit(FUND_ID, 100_000)
    v.trade(1, 2, 10, 1_000)
    v.move(790)  # bankrupt at the mark (equity −100); the book is empty
    records = v.liquidate()
    taken = [r for r in records if isinstance(r, rec.TakenOver)]
    # collateral 1995 after the taker fee: (10000 − 1995) / 10 = 800.5 → 801
    assert taken == [rec.TakenOver(v.ts, 1, -10, 801, rec.Reason.BOOK_UNFILLED)]
    assert v.perp.fund.position.size == 10
    assert v.perp.accounts[1].position.size == 0
    assert v.perp.accounts[1].collateral >= 0
    assert v.perp.fund.equity(790, SPEC) == 100_000 - 110  # the fund bore the gap below bankruptcy
    assert v.perp.conserved() == v.perp.deposited


def taken_over(spec: PerpSpec = SPEC) -> Venue:
    """The fund long 10 lots it took over at 801 from a bankrupt long, the mark at 790."""
    v = Venue(spec).funded((1, 2_000), (2, 10_000), (3, 50_000))
    v.perp.deposit(FUND_ID, 100_000)
    v.trade(1, 2, 10, 1_000)
    v.move(790)
    v.liquidate()
    assert v.perp.fund.position.size == 10
    return v


def test_the_fund_unwinds_a_taken_over_position_through_the_book() -> None:
    v = taken_over()
    v.rest(3, Side.BUY, 10, 795)
    order_id = next(v.ids)
    order = v.perp.unwind_order(order_id, v.ts)
    assert order is not None
    # a sell of the fund's 10 lots, IOC, no lower than 1 % under the mark (790 - 7)
    assert (order.side, order.qty, order.price, order.tif, order.account) == (
        Side.SELL,
        10,
        783,
        Tif.IOC,
        FUND_ID,
    )
    records = v.perp.unwind(v.ts, v.submit, order_id)
    assert [r for r in records if isinstance(r, rec.FundUnwound)] == [
        rec.FundUnwound(v.ts, FUND_ID, -10, 795)
    ]
    fund = v.perp.fund
    assert fund.position.size == 0
    assert fund.collateral == 100_000 + 10 * (795 - 801) - 4  # bought at 801, sold at 795, taker fee 4
    assert v.perp.unwind_order(next(v.ids), v.ts) is None  # flat: nothing more to unwind
    assert v.perp.conserved() == v.perp.deposited


def test_the_fund_never_dumps_below_its_band_and_waits_for_a_later_round() -> None:
    v = taken_over()
    v.rest(3, Side.BUY, 10, 780)  # below 783: more than 1 % under the mark
    assert v.perp.unwind(v.ts, v.submit, next(v.ids)) == []
    assert v.perp.fund.position.size == 10  # kept, not sold into a thin book
    v.rest(3, Side.BUY, 4, 789)
    unwound = v.perp.unwind(v.ts, v.submit, next(v.ids))
    assert [r.lots for r in unwound if isinstance(r, rec.FundUnwound)] == [-4]
    assert v.perp.fund.position.size == 6
    assert v.perp.conserved() == v.perp.deposited


def test_the_fund_unwinds_at_most_its_round_size() -> None:
    v = taken_over(dataclasses.replace(SPEC, unwind_max_lots=3))
    v.rest(3, Side.BUY, 10, 795)
    sizes = []
    while v.perp.fund.position.size:
        unwound = v.perp.unwind(v.ts, v.submit, next(v.ids))
        sizes.append(sum(r.lots for r in unwound if isinstance(r, rec.FundUnwound)))
    assert sizes == [-3, -3, -3, -1]
    assert v.perp.conserved() == v.perp.deposited


def test_adl_when_the_fund_cannot_take_over() -> None:
    v = Venue().funded((1, 2_000), (2, 3_000), (3, 20_000), (4, 20_000))
    v.trade(1, 2, 10, 1_000)  # 2 short 10 at 1000 with little margin: high leverage
    v.trade(3, 4, 10, 1_000)  # 4 short 10 at 1000, well margined
    v.move(790)
    records = v.liquidate()
    delev = [r for r in records if isinstance(r, rec.Deleveraged)]
    # 3 (long) is healthy; 1 is bankrupt; shorts rank by profit × leverage: 2 first
    assert delev
    assert delev[0].counterparty == 2
    assert delev[0].rank == 0
    assert delev[0].reason is rec.Reason.INSURANCE_INSUFFICIENT
    assert v.perp.accounts[1].position.size == 0
    assert v.perp.accounts[1].collateral >= 0
    assert v.perp.accounts[2].position.size == 0
    assert v.perp.conserved() == v.perp.deposited


def test_adl_queue_ranks_profit_times_leverage() -> None:
    lean = Account(2, collateral=1_000)
    apply_fill(lean, -10, 1_000, SPEC)
    fat = Account(3, collateral=50_000)
    apply_fill(fat, -10, 1_000, SPEC)
    loser = Account(4, collateral=50_000)
    apply_fill(loser, -10, 700, SPEC)
    broke = Account(5, collateral=0)
    apply_fill(broke, -10, 700, SPEC)
    queue = adl_queue([fat, loser, broke, lean, long_account(10, 1, 1)], -1, 900, SPEC)
    assert [a.id for a in queue] == [2, 3, 4, 5]


def test_a_deficit_is_covered_by_the_fund() -> None:
    v = Venue().funded((1, 1_000))
    v.perp.deposit(FUND_ID, 500)
    one = v.perp.accounts[1]
    one.collateral = -300  # as a gap through funding would leave a flat account
    v.perp.deposited -= 1_300
    plan = plan_liquidation(long_account(2_000, 10, 1_000), 700, SPEC)
    assert plan is not None
    records = v.perp.finish(plan._replace(account=1), 0, v.ts)
    assert records == [rec.InsuranceMoved(v.ts, 1, -300, rec.Reason.DEFICIT)]
    assert one.collateral == 0
    assert v.perp.fund.collateral == 200
    assert v.perp.conserved() == v.perp.deposited
