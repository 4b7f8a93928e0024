"""One mode's option series: their books, the margin gate, the marks, the accounts' exposure.

A venue (`options` for live keys, `options.sandbox` for sandbox keys) opens one `OptionBook` per listed
series under `<directory>/<series id>/` (its own journal, as every book). What spans the series lives
here: an account's exposure (its position in each series' engine, lots bought minus sold, less its open
sells, which margin counts as filled), the volatility surface, the index, and the margin held.

**The margin gate.** Before a sell is journaled, under the venue's lock: the scan
(`matching.options.margin.requirement`) of the account's exposure with the sell filled, at the index
price and the book's clock; if it exceeds what the account's margin account holds, the difference moves
from its tUSD account to its margin account (reference `options:<venue>:margin:<order id>`, one per
order, so a retried hold answers `exists`). The ledger refuses it when the tUSD is not there
(`InsufficientMargin`), and the order is never journaled. Margin held is released at expiry settlement,
after a cancel and after a trade in which the account bought (`release`): what the account's remaining
exposure no longer needs. A release lost to a crash between the trade and it leaves the excess held (never
lost) until the account's next cancel, buy or the expiry.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from ledger.accounts import lookup_account
from ledger.ids import new_id
from ledger.model import TransferSpec
from ledger.results import CreateTransferResult
from ledger.transaction import Database
from ledger.transfers import create_transfer
from matching.engine import Place, Side
from matching.options.margin import Margin, ScanParams, requirement
from matching.options.quote import SeriesQuote, quote
from matching.options.series import QUOTE, OptionSeries
from matching.options.surface import VolSurface
from matching.options_market.accounts import margin_account, margin_spec, venue_specs
from matching.options_market.book import OptionBook
from matching.options_market.errors import InsufficientMargin, NoIndexPrice
from matching.options_market.index import underlying
from matching.perpetuals.index import IndexSource
from matching.spot.accounts import ensure_accounts, trader_account

Clock = Callable[[], int]


def wall_clock() -> int:
    """Microseconds since the epoch: the books' clock when serving (tests pass their own)."""
    return time.time_ns() // 1_000


@dataclass(frozen=True, slots=True)
class Position:
    """An account's holding in one series: signed lots (long > 0) and its open sells' lots."""

    series: OptionSeries
    lots: int
    open_sell_lots: int


class OptionVenue:
    """The books of one mode's series, and what spans them (open with `OptionVenue.open`)."""

    def __init__(
        self,
        name: str,
        books: dict[str, OptionBook],
        database: Database,
        surface: VolSurface,
        index: IndexSource,
        params: ScanParams,
        clock: Clock,
        directory: Path,
    ) -> None:
        self.name = name
        self.books = books
        self.database = database
        self.surface = surface
        self.index = index
        self.params = params
        self.clock = clock
        self.directory = directory
        self.lock = threading.RLock()

    @classmethod
    def open(
        cls,
        name: str,
        series: list[OptionSeries],
        directory: Path,
        database: Database,
        surface: VolSurface,
        index: IndexSource,
        *,
        clock: Clock = wall_clock,
        params: ScanParams | None = None,
        suffix: str = "",
    ) -> OptionVenue:
        """Open every series' book under `directory` (market ids gain `suffix`, e.g. `.sandbox`)."""
        venue = cls(name, {}, database, surface, index, params or ScanParams(), clock, directory)
        ensure_accounts(database, venue_specs(name, [s.id + suffix for s in series]))
        try:
            for listed in series:
                spec = replace(listed.spec(), id=listed.id + suffix)
                book = OptionBook.open(spec, directory / listed.id, database, clock=clock)
                venue.books[listed.id] = book.attach(
                    listed, venue.admit, venue.release, venue.spot, venue.lock
                )
        except BaseException:
            venue.close()
            raise
        return venue

    # -- exposure and margin -----------------------------------------------------------------------

    def positions(self, trader: int) -> list[Position]:
        """`trader`'s holdings, one per series it has a position or an open sell in (read under the venue's
        lock, which every option book's command runs under)."""
        held = []
        with self.lock:
            for book in self.books.values():
                engine = book.book.engine
                lots = engine.positions.get(trader, 0)
                selling = sum(
                    order.leaves
                    for order in engine.book.orders.values()
                    if order.account == trader and order.side == Side.SELL
                )
                if lots or selling:
                    held.append(Position(book.series, lots, selling))
        return held

    def spot(self) -> Decimal:
        """The underlying's price in tUSD per TPW (raises `NoIndexPrice` before it has one)."""
        return underlying(self.index)

    def margin(
        self,
        trader: int,
        extra: tuple[OptionSeries, int] | None = None,
        exclude: OptionSeries | None = None,
    ) -> Margin:
        """The scan of `trader`'s exposure (open sells as filled), with `extra` signed lots added. Series
        whose settlement has finished, and `exclude` (the one settling), are not exposure any more; an
        expired series not yet settled still is (valued at its intrinsic value, which it will pay)."""
        exposure: dict[OptionSeries, int] = {}
        now = self.clock()
        for position in self.positions(trader):
            if position.series != exclude and not self.books[position.series.id].settled():
                exposure[position.series] = position.lots - position.open_sell_lots
        if extra is not None:
            exposure[extra[0]] = exposure.get(extra[0], 0) + extra[1]
        return requirement(exposure, self.spot(), now, self.surface, self.params)

    def held_margin(self, trader: int) -> int:
        """What `trader`'s margin account holds (QTU units; 0 before its first short)."""
        account = lookup_account(self.database, margin_account(self.name, trader))
        return 0 if account is None else account.balances.posted

    def admit(self, book: OptionBook, place: Place) -> None:
        """The margin gate (see the module docstring); the caller holds the venue's lock."""
        needed = self.margin(place.account, (book.series, -place.qty)).requirement
        top_up = needed - self.held_margin(place.account)
        if top_up <= 0:
            return
        ensure_accounts(self.database, [margin_spec(self.name, place.account)])
        outcome = create_transfer(
            self.database,
            TransferSpec(
                reference=f"options:{self.name}:margin:{place.order_id}",
                debit_account_id=trader_account(place.account, QUOTE),
                credit_account_id=margin_account(self.name, place.account),
                amount=top_up,
                currency=QUOTE,
            ),
        )
        if outcome.result in (
            CreateTransferResult.EXCEEDS_CREDITS,
            CreateTransferResult.DEBIT_ACCOUNT_NOT_FOUND,
        ):
            raise InsufficientMargin(f"the order needs {needed} QTU units of margin, {top_up} more than held")
        if not outcome.ok:
            raise RuntimeError(f"margin for order {place.order_id}: {outcome.result}")

    def release(self, trader: int) -> None:
        """Give back what `trader`'s margin account holds beyond its exposure's requirement now (after a
        cancel or a buy). The amount is computed from the ledger's balance under the venue's lock, so a repeat
        after a crash finds less held and releases only what is still excess: each release has a new id."""
        with self.lock:
            held = self.held_margin(trader)
            if held <= 0:
                return
            try:
                excess = held - self.margin(trader).requirement
            except NoIndexPrice:  # nothing can be valued: keep what is held
                return
            if excess <= 0:
                return
            outcome = create_transfer(
                self.database,
                TransferSpec(
                    reference=f"options:{self.name}:release:{trader}:{new_id()}",
                    debit_account_id=margin_account(self.name, trader),
                    credit_account_id=trader_account(trader, QUOTE),
                    amount=excess,
                    currency=QUOTE,
                ),
            )
            if not outcome.ok:
                raise RuntimeError(f"margin release for {trader}: {outcome.result}")

    # -- marks -------------------------------------------------------------------------------------

    def quote(self, series: OptionSeries, spot: Decimal) -> SeriesQuote:
        """The series' model volatility, valuation and mark now, at underlying `spot`."""
        return quote(series, spot, self.clock(), self.surface, self.params.rate)

    def close(self) -> None:
        for book in self.books.values():
            book.close()
