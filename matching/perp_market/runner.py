"""The perpetual's steps: a book command's fills or an input, applied to the `Perpetual`, as ledger
transfers and records. The same code runs live and in the replay at open, which is what makes the replay
name exactly the transfers (and records) the live run named.

A price round (`Prices`) is the perpetual's heartbeat: the new index and mark, a margin check of every
account (margin calls), liquidation rounds in tiers (their orders go to the book through `submit`: live,
the journaled book; in replay, the book's journal), then funding if the interval is due. Liquidation
order ids are derived from the input's sequence number (`seq << 16 | n`), far below the API's ids (time
based, 2^61 and up), so a replay names the same orders.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence, Set
from typing import NamedTuple

from ledger.model import TransferSpec
from matching.engine import Command, Event, Place
from matching.perp_market.accounts import deposits_account, margin_account, wallet_account
from matching.perp_market.inputs import Configure, Deposit, Entry, Prices, Withdraw
from matching.perp_market.postings import Cause, Step
from matching.perp_market.trades import Printed, perp_trades
from matching.perpetuals.accounts import MarginMode
from matching.perpetuals.funding import FundingClock
from matching.perpetuals.index.source import BookQuote
from matching.perpetuals.margin import fund_isolated, initial_margin
from matching.perpetuals.market import Perpetual
from matching.perpetuals.records import Record
from matching.perpetuals.spec import PerpSpec
from matching.settlement.leaf import SettledTrade

Submit = Callable[[Place], tuple[int, list[Event]]]
"""Sends a liquidation order to the book: its book journal seq and its events."""
LIQUIDATION_ID_BITS = 16


class Outcome(NamedTuple):
    """What a step did: its transfers, its records, whether the input was accepted, and the trades it
    printed as settlement records them (`matching.perp_market.trades`)."""

    specs: list[TransferSpec]
    records: list[Record]
    accepted: bool = True
    trades: tuple[SettledTrade, ...] = ()


class Runner:
    """A `Perpetual` and the steps that drive it (the market's single writer calls it under its lock)."""

    def __init__(self, spec: PerpSpec) -> None:
        self.perp = Perpetual(spec)
        self.market = spec.symbol
        self.priced = False

    def book(self, seq: int, cmd: Command, events: list[Event]) -> Outcome:
        """The fills of book command `seq` on both sides' positions, with their fees and PnL."""
        step = Step(self.perp, self.market, f"b{seq}")
        self.perp.apply_events(events, cmd.ts)
        step.trades(events, set())
        return self._finish(step, printed=[(seq, events)])

    def input(self, seq: int, entry: Entry, submit: Submit) -> Outcome:
        """Input `seq`; `submit` reaches the book (a price round's liquidation orders)."""
        step = Step(self.perp, self.market, f"i{seq}")
        match entry.input:
            case Deposit(_, _, trader, amount):
                self._ensure(trader)
                self.perp.deposit(trader, amount)
                step.move(
                    deposits_account(self.market), margin_account(self.market, trader), amount, Cause.DEPOSIT
                )
                accepted = True
            case Withdraw(_, _, trader, amount):
                accepted = trader in self.perp.accounts and self.perp.withdraw(trader, amount)
                if accepted:
                    step.move(
                        margin_account(self.market, trader), wallet_account(trader), amount, Cause.WITHDRAWAL
                    )
            case Configure(_, trader, mode, leverage):
                accepted = self._configure(trader, MarginMode(mode), leverage)
            case Prices():
                printed, issued = self._prices(seq, entry.input, submit, step)
                return self._finish(step, printed=printed, liquidation_orders=issued)
        return self._finish(step, accepted)

    def _finish(
        self,
        step: Step,
        accepted: bool = True,
        printed: Sequence[Printed] = (),
        liquidation_orders: Set[int] = frozenset(),
    ) -> Outcome:
        records = list(self.perp.records)
        self.perp.records.clear()  # handed on: the market keeps no history in memory
        step.records(records)
        trades = perp_trades(self.perp.spec, self.market, printed, liquidation_orders, records)
        return Outcome(step.specs(records), records, accepted, tuple(trades))

    def _ensure(self, trader: int) -> None:
        if trader not in self.perp.accounts:
            self.perp.open_account(trader)

    def _configure(self, trader: int, mode: MarginMode, leverage: int) -> bool:
        """A new margin mode (only while flat) and leverage (up to the first tier's cap; with a position,
        only if the equity still covers the initial margin at the new leverage)."""
        spec = self.perp.spec
        if not 1 <= leverage <= spec.tiers[0].max_leverage:
            return False
        if trader not in self.perp.accounts:
            self.perp.open_account(trader, mode, leverage)
            return True
        account = self.perp.accounts[trader]
        size = account.position.size
        if mode is not account.mode and (size != 0 or account.isolated_margin != 0):
            return False
        if size != 0:
            room = account.equity(self.perp.mark, spec) + (account.collateral if account.isolated else 0)
            if room < initial_margin(size, self.perp.mark, leverage, spec):
                return False
        account.mode, account.leverage = mode, leverage
        fund_isolated(account, self.perp.mark, spec)
        return True

    def _prices(self, seq: int, prices: Prices, submit: Submit, step: Step) -> tuple[list[Printed], set[int]]:
        """The round; the book commands its liquidation orders printed, and those orders' ids."""
        perp = self.perp
        if not self.priced:  # funding intervals start at the first price, on the interval's grid
            interval = perp.spec.funding_interval
            perp.funding = FundingClock((prices.ts // interval + 1) * interval)
            self.priced = True
        perp.update_prices(prices.ts, prices.outside, BookQuote(prices.bid, prices.ask, prices.last))
        ids = (seq << LIQUIDATION_ID_BITS | n for n in itertools.count(1))
        issued: set[int] = set()
        printed: list[Printed] = []

        def through_book(place: Place) -> list[Event]:
            issued.add(place.order_id)
            book_seq, out = submit(place)
            printed.append((book_seq, out))
            return out

        perp.liquidate(prices.ts, through_book, ids)

        def unwinding(place: Place) -> list[Event]:  # an ordinary taker: its fee is charged, not skipped
            book_seq, out = submit(place)
            printed.append((book_seq, out))
            return out

        perp.unwind(prices.ts, unwinding, next(ids))
        step.trades((event for _, events in printed for event in events), issued)
        perp.settle_funding(prices.ts)
        return printed, issued
