"""Perpetual: one TPW-PERP market's accounts, insurance fund and fees, driven by the engine's output.

It is the perpetual's single writer, as the engine is the book's: the caller sequences everything with
the book's clock `ts`. Inputs are the engine's events (`apply_events`: each `Trade` moves both sides'
positions and charges fees), prices (`update_prices`: the index and mark, sampled for funding), the
funding clock (`settle_funding`) and deposits/withdrawals. Margin is checked on every fill and every mark
change; `liquidate` runs the liquidation rounds against the book through a `submit` callable that takes
the engine's `Place` commands and returns its events, so the book is reached only by its public commands.

Conservation, the invariant the property tests hold exactly: Σ over every account and the fund of
(collateral + isolated margin − entry value), plus the fees, always equals the net deposits. Fills move
value between their two sides, fees and liquidation fees move it to `fees` and the fund, funding sums to
zero, take-overs and deleveraging are fills at the bankruptcy price.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Sequence

from matching.engine import Event, Kind, Place, Side, Tif, Trade
from matching.perpetuals.accounts import Account, MarginMode, apply_fill
from matching.perpetuals.errors import PerpetualError
from matching.perpetuals.funding import FundingClock, funding_payments
from matching.perpetuals.index.source import BookQuote, IndexSource, combine_index, to_ticks
from matching.perpetuals.liquidation.adl import adl_queue
from matching.perpetuals.liquidation.plan import (
    LiquidationPlan,
    bankruptcy_price,
    liquidation_order,
    plan_liquidation,
)
from matching.perpetuals.margin import Fill, Health, admit, check, fee, fund_isolated, initial_margin
from matching.perpetuals.mark import mark_price
from matching.perpetuals.records import (
    Deleveraged,
    FundingPaid,
    FundUnwound,
    InsuranceMoved,
    LiquidationFilled,
    LiquidationStarted,
    LiquidationTier,
    MarginCall,
    Reason,
    Record,
    TakenOver,
)
from matching.perpetuals.spec import PerpSpec
from matching.perpetuals.units import BPS

FUND_ID = 0
"""The insurance fund's account id (a trader's id is positive)."""


class Perpetual:
    def __init__(self, spec: PerpSpec | None = None, index: int = 1, start_ts: int = 0) -> None:
        self.spec = spec or PerpSpec()
        self.accounts: dict[int, Account] = {}
        self.fund = Account(FUND_ID, leverage=1)
        self.fees = 0
        self.deposited = 0
        self.index = index
        self.mark = index
        self.funding = FundingClock(start_ts + self.spec.funding_interval)
        self.records: list[Record] = []
        self._orders: dict[int, LiquidationPlan] = {}
        self._called: set[int] = set()
        self._escalated: set[int] = set()

    # -- accounts -------------------------------------------------------------------------------------

    def open_account(
        self, account_id: int, mode: MarginMode = MarginMode.CROSS, leverage: int | None = None
    ) -> Account:
        """A new trader's account; `leverage` defaults to the spec's (low) default and is capped at the
        first tier's."""
        if account_id <= FUND_ID or account_id in self.accounts:
            raise PerpetualError(f"account id {account_id} is taken or reserved")
        chosen = leverage or self.spec.default_leverage
        if not 1 <= chosen <= self.spec.tiers[0].max_leverage:
            raise PerpetualError(f"leverage {chosen} is above the cap")
        account = Account(account_id, mode=mode, leverage=chosen)
        self.accounts[account_id] = account
        return account

    def account(self, account_id: int) -> Account:
        return self.fund if account_id == FUND_ID else self.accounts[account_id]

    def everyone(self) -> list[Account]:
        """The fund, then every trader by id: the deterministic order every pass uses."""
        return [self.fund, *(self.accounts[i] for i in sorted(self.accounts))]

    def deposit(self, account_id: int, amount: int) -> None:
        if amount <= 0:
            raise PerpetualError("a deposit must be positive")
        self.account(account_id).collateral += amount
        self.deposited += amount

    def withdraw(self, account_id: int, amount: int) -> bool:
        """Take `amount` out of the wallet if what stays still covers the initial margin (cross), or
        the wallet alone holds it (isolated: the set-aside is not the wallet's)."""
        account = self.account(account_id)
        if amount <= 0 or amount > account.collateral:
            return False
        if account.mode is MarginMode.CROSS:
            size = account.position.size
            needed = initial_margin(size, self.mark, account.leverage, self.spec)
            if account.equity(self.mark, self.spec) - amount < needed:
                return False
        account.collateral -= amount
        self.deposited -= amount
        return True

    def conserved(self) -> int:
        """Σ (collateral + isolated margin − entry value) + fees: always equal to `deposited`."""
        held = sum(a.total_money() - a.position.entry_value for a in self.everyone())
        return held + self.fees

    # -- fills ------------------------------------------------------------------------------------------

    def admit(self, account_id: int, fills: Sequence[Fill]) -> bool:
        """The pre-trade margin check for one side's orders that may fill: (lots signed, price) each."""
        return admit(self.account(account_id), fills, self.mark, self.spec)

    def apply_events(self, events: Iterable[Event], ts: int) -> list[Record]:
        """Apply the engine's trades to both sides (other events change no position); check both."""
        out: list[Record] = []
        for event in events:
            if not isinstance(event, Trade):
                continue
            lots = event.qty if event.taker_side == Side.BUY else -event.qty
            out += self._fill(event.taker_account, event.taker_id, lots, event.price, True, ts)
            out += self._fill(event.maker_account, event.maker_id, -lots, event.price, False, ts)
        self.records += out
        return out

    def _fill(
        self, account_id: int, order_id: int, lots: int, price: int, taker: bool, ts: int
    ) -> list[Record]:
        account = self.account(account_id)
        apply_fill(account, lots, price, self.spec)
        plan = self._orders.get(order_id)
        if plan is not None and plan.account == account_id:
            charged = fee(lots, price, self.spec.liquidation_fee_bps, self.spec)
            charged = min(charged, max(0, account.equity(self.mark, self.spec)))
            account.credit(-charged)
            self.fund.collateral += charged
            return [LiquidationFilled(ts, account_id, lots, price, charged)]
        rate = self.spec.taker_fee_bps if taker else self.spec.maker_fee_bps
        charged = fee(lots, price, rate, self.spec)
        account.credit(-charged)
        self.fees += charged
        fund_isolated(account, self.mark, self.spec)
        return self._margin_call(account, ts)

    # -- prices and funding ---------------------------------------------------------------------------

    def update_prices(self, ts: int, outside: int, book: BookQuote) -> list[Record]:
        """New index (from the outside price in ticks and the book) and mark; sample the premium for
        funding; check every account at the new mark (margin calls are recorded here)."""
        self.index = combine_index(outside, book)
        self.mark = mark_price(self.index, book, self.spec)
        self.funding.sample(self.mark, self.index)
        out: list[Record] = []
        for account in self.everyone()[1:]:
            out += self._margin_call(account, ts)
        self.records += out
        return out

    def update_from(self, ts: int, source: IndexSource, book: BookQuote) -> list[Record]:
        """`update_prices` with the outside price read from `source` (e.g. the AMM pool)."""
        return self.update_prices(ts, to_ticks(source.price(), self.spec), book)

    def _margin_call(self, account: Account, ts: int) -> list[Record]:
        """A margin call the first time an account falls under the call level (again after recovering)."""
        if account.id == FUND_ID:
            return []
        state = check(account, self.mark, self.spec)
        if state.health is Health.HEALTHY:
            self._called.discard(account.id)
            return []
        if account.id in self._called:
            return []
        self._called.add(account.id)
        reason = (
            Reason.EQUITY_BELOW_CALL_LEVEL
            if state.health is Health.MARGIN_CALL
            else Reason.EQUITY_BELOW_MAINTENANCE
        )
        return [MarginCall(ts, account.id, state.equity, state.maintenance, reason)]

    def settle_funding(self, ts: int) -> list[Record]:
        """Pay the interval's funding if it is due at `ts` (at the current mark)."""
        rate = self.funding.settle(ts, self.spec)
        if rate is None:
            return []
        sizes = {a.id: a.position.size for a in self.everyone()}
        out: list[Record] = []
        for account_id, amount in funding_payments(sizes, self.mark, rate, self.spec).items():
            self.account(account_id).credit(amount)
            out.append(FundingPaid(ts, account_id, amount, rate, self.mark))
        self.records += out
        return out

    # -- liquidation ----------------------------------------------------------------------------------

    def plan_for(self, account_id: int, ts: int) -> LiquidationPlan | None:
        """The liquidation a trader needs at the mark now (recorded), or None. The fund is never
        liquidated: it takes over only what leaves it above its own maintenance."""
        account = self.account(account_id)
        if account.id == FUND_ID:
            return None
        plan = plan_liquidation(account, self.mark, self.spec, account.id in self._escalated)
        if plan is None:
            self._escalated.discard(account.id)
            return None
        state = check(account, self.mark, self.spec)
        self.records.append(
            LiquidationStarted(
                ts,
                account.id,
                plan.tier,
                plan.lots,
                plan.bankruptcy_price,
                state.equity,
                state.maintenance,
                plan.reason,
            )
        )
        return plan

    def order_for(self, plan: LiquidationPlan, order_id: int, ts: int) -> Place:
        """The plan's reduce-only IOC order; its fills pay the liquidation fee to the fund."""
        self._orders[order_id] = plan
        return liquidation_order(plan, order_id, ts)

    def finish(self, plan: LiquidationPlan, order_id: int, ts: int) -> list[Record]:
        """After the book had the plan's order: a partial that did not restore the account escalates
        to a full one next round; a full one's unfilled rest is taken over by the fund or, if the fund
        cannot bear it, deleveraged; any deficit left on a flat account is drawn from the fund."""
        self._orders.pop(order_id, None)
        account = self.account(plan.account)
        out: list[Record] = []
        still = check(account, self.mark, self.spec).health is Health.LIQUIDATE
        if plan.tier is LiquidationTier.PARTIAL:
            if still:
                self._escalated.add(account.id)
        elif account.position.size != 0:
            # priced afresh: the book's fills (and their fees) moved the balance since the plan
            out += self._close_rest(account, bankruptcy_price(account, self.spec), ts)
            self._escalated.discard(account.id)
        out += self._cover(account, ts)
        self.records += out
        return out

    def unwind_order(self, order_id: int, ts: int) -> Place | None:
        """The unwind policy's IOC order for this round (None if the fund is flat): at most
        `spec.unwind_max_lots` of the fund's taken-over position, no worse than `spec.unwind_band_bps`
        from the mark. Selling what it took over at better than the bankruptcy price is the fund's
        surplus, worse its deficit. Not flagged reduce-only: the engine never saw the take-over, so its
        position figure for the fund would clip the order to nothing; sizing it within the fund's
        position makes it reduce-only all the same."""
        size = self.fund.position.size
        if size == 0:
            return None
        band = self.mark * self.spec.unwind_band_bps // BPS
        side = Side.SELL if size > 0 else Side.BUY
        limit = max(1, self.mark - band) if side is Side.SELL else self.mark + band
        lots = min(abs(size), self.spec.unwind_max_lots)
        return Place(ts, order_id, FUND_ID, side, Kind.LIMIT, lots, price=limit, tif=Tif.IOC)

    def unwind(self, ts: int, submit: Callable[[Place], list[Event]], order_id: int) -> list[Record]:
        """One round of the unwind policy: the fund's order (`unwind_order`) goes to the book through
        `submit` and its fills are applied (the fund pays the taker fee, as any taker) and recorded as
        `FundUnwound`. Run once per price round after liquidation, so a position the fund took over is
        closed in the market over the following rounds instead of being carried at the fund's risk."""
        order = self.unwind_order(order_id, ts)
        if order is None:
            return []
        start = len(self.records)
        events = submit(order)
        self.apply_events(events, ts)
        for event in events:
            if isinstance(event, Trade) and event.taker_id == order_id:
                lots = event.qty if event.taker_side == Side.BUY else -event.qty
                self.records.append(FundUnwound(ts, FUND_ID, lots, event.price))
        return self.records[start:]

    def _close_rest(self, account: Account, price: int, ts: int) -> list[Record]:
        lots = -account.position.size
        trial = copy.deepcopy(self.fund)
        apply_fill(trial, -lots, price, self.spec)
        if check(trial, self.mark, self.spec).health is not Health.LIQUIDATE:
            apply_fill(account, lots, price, self.spec)
            apply_fill(self.fund, -lots, price, self.spec)
            return [TakenOver(ts, account.id, lots, price, Reason.BOOK_UNFILLED)]
        out: list[Record] = []
        side = 1 if lots > 0 else -1  # the counterparties hold positions of the closing trade's sign
        others = [a for a in self.everyone() if a.id != account.id]
        for rank, other in enumerate(adl_queue(others, side, self.mark, self.spec)):
            if account.position.size == 0:
                break
            part = side * min(abs(account.position.size), abs(other.position.size))
            apply_fill(account, part, price, self.spec)
            apply_fill(other, -part, price, self.spec)
            out.append(
                Deleveraged(ts, account.id, other.id, part, price, rank, Reason.INSURANCE_INSUFFICIENT)
            )
            out += self._cover(other, ts)
        return out

    def _cover(self, account: Account, ts: int) -> list[Record]:
        """A flat trader left below zero is made whole from the fund, as far as the fund's wallet goes."""
        if account.id == FUND_ID or account.position.size != 0 or account.collateral >= 0:
            return []
        amount = min(-account.collateral, max(0, self.fund.collateral))
        if amount == 0:
            return []
        self.fund.collateral -= amount
        account.collateral += amount
        return [InsuranceMoved(ts, account.id, -amount, Reason.DEFICIT)]

    def liquidate(
        self, ts: int, submit: Callable[[Place], list[Event]], order_ids: Iterator[int]
    ) -> list[Record]:
        """Run liquidation rounds until no trader is under maintenance: each plan's order goes to the
        book through `submit`, its trades are applied, then `finish` settles the rest. Every round
        shrinks some position or escalates a partial, so the rounds end."""
        start = len(self.records)
        for _ in range(4 * (len(self.accounts) + 1) + 8):
            acted = False
            for account_id in sorted(self.accounts):
                plan = self.plan_for(account_id, ts)  # planned now: an earlier one may have moved it
                if plan is None:
                    continue
                acted = True
                order_id = next(order_ids)
                self.apply_events(submit(self.order_for(plan, order_id, ts)), ts)
                self.finish(plan, order_id, ts)
            if not acted:
                break
        return self.records[start:]
