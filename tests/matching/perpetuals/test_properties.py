"""Property tests over random flows: fills, mark moves (with book quotes), funding and liquidations.

After every step: the market's conservation holds exactly (Σ collateral + isolated margin − entry value
over every account and the fund, plus fees, equals the net deposits; once everyone is flat that is
Σ collateral + fund + fees); the sizes sum to zero; after the liquidation rounds no trader is under
maintenance and none is left below zero; each interval's funding sums to zero; and a liquidation never
grows or flips a trader's position (only the fund, taking a position over, may grow).
"""

from __future__ import annotations

from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from matching.engine import Side
from matching.perpetuals.accounts import MarginMode, apply_fill
from matching.perpetuals.index.source import BookQuote
from matching.perpetuals.margin import Health, check
from matching.perpetuals.market import FUND_ID
from matching.perpetuals.records import (
    Deleveraged,
    FundingPaid,
    LiquidationFilled,
    LiquidationStarted,
    TakenOver,
)

from .helpers import SPEC, Venue

TRADERS = (1, 2, 3, 4, 5)
LIQUIDATION = (LiquidationStarted, LiquidationFilled, TakenOver, Deleveraged)
MAKER = 9  # a deep-pocketed market maker who quotes around the mark, so the book takes liquidations

trade = st.tuples(
    st.just("trade"),
    st.sampled_from(TRADERS),
    st.sampled_from(TRADERS),
    st.integers(1, 30),
    st.integers(-30, 30),
)
move = st.tuples(st.just("move"), st.integers(-250, 250), st.integers(0, 20), st.booleans())
fund = st.tuples(st.just("funding"))
quote = st.tuples(st.just("quote"), st.integers(1, 20), st.integers(0, 60))
steps = st.lists(st.one_of(trade, trade, trade, move, fund, quote), min_size=1, max_size=40)


def assert_invariants(v: Venue) -> None:
    perp = v.perp
    assert perp.conserved() == perp.deposited
    assert sum(a.position.size for a in perp.everyone()) == 0


def assert_liquidated(v: Venue) -> None:
    perp = v.perp
    for account in perp.accounts.values():
        assert check(account, perp.mark, SPEC).health is not Health.LIQUIDATE
        if account.position.size == 0:
            assert account.total_money() >= 0 or perp.fund.collateral <= 0


def run(v: Venue, step: tuple[Any, ...]) -> None:
    perp = v.perp
    if step[0] == "trade":
        _, buyer, seller, qty, offset = step
        price = max(1, perp.mark + offset)
        if buyer == seller or not (perp.admit(buyer, [(qty, price)]) and perp.admit(seller, [(-qty, price)])):
            return
        v.trade(buyer, seller, qty, price)
    elif step[0] == "move":
        _, delta, spread, two_sided = step
        index = max(50, perp.index + delta)
        book = BookQuote(index - spread, index + spread, index) if two_sided else BookQuote()
        v.move(index, book)
    elif step[0] == "quote":
        _, qty, depth = step
        v.rest(MAKER, Side.BUY, qty, max(1, perp.mark - depth))
        v.rest(MAKER, Side.SELL, qty, perp.mark + depth + 1)
    else:
        v.ts += SPEC.funding_interval
        paid = [r for r in perp.settle_funding(v.ts) if isinstance(r, FundingPaid)]
        assert sum(r.amount for r in paid) == 0


@given(steps, st.integers(0, 5_000), st.sampled_from([MarginMode.CROSS, MarginMode.ISOLATED]))
def test_random_flows_conserve_and_leave_no_one_under_water(
    flow: list[tuple[Any, ...]], fund_deposit: int, mode: MarginMode
) -> None:
    v = Venue()
    for trader in TRADERS:
        v.perp.open_account(trader, mode if trader % 2 else MarginMode.CROSS)
        v.perp.deposit(trader, 2_000 + 1_000 * trader)
    v.perp.open_account(MAKER)
    v.perp.deposit(MAKER, 10**9)
    if fund_deposit:
        v.perp.deposit(FUND_ID, fund_deposit)
    for step in flow:
        run(v, step)
        assert_invariants(v)
        before = {a.id: a.position.size for a in v.perp.accounts.values()}
        records = v.liquidate()
        # the liquidated and the deleveraged only ever shrink (the book's makers and the fund take)
        touched = {r.account for r in records if isinstance(r, LiquidationStarted)}
        touched |= {r.counterparty for r in records if isinstance(r, Deleveraged)}
        for account_id in touched - {FUND_ID}:
            was, now = before[account_id], v.perp.accounts[account_id].position.size
            assert abs(now) <= abs(was), (account_id, was, now)
            assert now * was >= 0, (account_id, was, now)
        assert_invariants(v)
        assert_liquidated(v)
    # close everyone against the maker at the mark: flat, the sum is Σ collateral + fund + fees
    maker = v.perp.accounts[MAKER]
    for account in v.perp.everyone():
        if account.id != MAKER and account.position.size:
            lots = account.position.size
            apply_fill(account, -lots, v.perp.mark, SPEC)
            apply_fill(maker, lots, v.perp.mark, SPEC)
    assert all(a.position.size == 0 for a in v.perp.everyone())
    money = sum(a.total_money() for a in v.perp.everyone())
    assert money + v.perp.fees == v.perp.deposited
    kinds = sorted({type(r).__name__ for r in v.perp.records if isinstance(r, LIQUIDATION)})
    event(f"liquidation steps: {' '.join(kinds) or 'none'}")


@given(
    st.lists(st.tuples(st.integers(1, 12), st.booleans()), min_size=2, max_size=6),
    st.integers(-400, 400),
    st.integers(0, 3_000),
    st.integers(0, 40),
    st.integers(0, 50),
)
def test_a_shock_at_full_leverage_is_absorbed_exactly(
    positions: list[tuple[int, bool]], shock: int, fund_deposit: int, depth: int, gap: int
) -> None:
    """Everyone opens near the leverage cap against the maker, the index jumps: every liquidation path
    (book, fund, ADL) runs, and the books still balance to the unit."""
    v = Venue()
    v.perp.open_account(MAKER)
    v.perp.deposit(MAKER, 10**9)
    if fund_deposit:
        v.perp.deposit(FUND_ID, fund_deposit)
    for trader, (lots, long) in enumerate(positions, start=1):
        v.perp.open_account(trader, MarginMode.ISOLATED if trader % 3 == 0 else MarginMode.CROSS)
        v.perp.deposit(trader, 205 * lots)  # just over 5x (IM 200 a lot at 1000, fee 1)
        if long:
            v.trade(trader, MAKER, lots, 1_000)
        else:
            v.trade(MAKER, trader, lots, 1_000)
    if depth:  # the maker quotes below and above the new price, `gap` ticks away
        target = 1_000 + shock
        v.rest(MAKER, Side.BUY, depth, max(1, target - gap))
        v.rest(MAKER, Side.SELL, depth, target + gap + 1)
    v.move(1_000 + shock)
    before = {a.id: a.position.size for a in v.perp.accounts.values()}
    records = v.liquidate()
    assert_invariants(v)
    assert_liquidated(v)
    for record in records:
        if isinstance(record, LiquidationStarted):
            was, now = before[record.account], v.perp.accounts[record.account].position.size
            assert abs(now) <= abs(was)
            assert now * was >= 0
    kinds = sorted({type(r).__name__ for r in records if isinstance(r, LIQUIDATION)})
    event(f"shock: {' '.join(kinds) or 'none'}")
