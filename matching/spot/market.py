"""One spot market's single writer: hold in the ledger, journal, match, post, in that order.

A command is acknowledged (its events returned) only once it is in the journal and its transfers in the
ledger. The order of the steps is what makes a crash at any point harmless (`matching.spot.poster`): a hold
without a journal record is an orphan released at open; a journal record without its transfers is posted at
open; transfers posted twice are the same references, answered `exists`.

One lock serialises the book: the journal's order is the ledger's order. Holds are posted outside it (they
only move a trader's own money into escrow), so a slow ledger write of one trader does not wait on
another's. The market keeps its clock itself (microseconds, never going back) and stamps every command.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Self, TypeVar

from chain.files import make_private_directory
from ledger.model import TransferSpec
from ledger.results import CreateTransferResult
from ledger.transaction import Database
from ledger.transfers import create_transfer
from matching.engine import Amend, Cancel, Command, Engine, Event, Kind, Place, Side, Tick, state_hash
from matching.journal import JournaledBook
from matching.journal.book import JOURNAL_NAME
from matching.journal.codec import decode_records
from matching.markets import MarketSpec
from matching.settlement.leaf import Venue
from matching.spot.accounts import ensure_accounts, market_specs, trader_specs
from matching.spot.errors import (
    AmendNeedsFunds,
    InsufficientFunds,
    MarketBusy,
    MarketHalted,
    UnsupportedOrder,
)
from matching.spot.feed import Feed, MarketData
from matching.spot.poster import post, read_cursor, release_orphans, write_cursor
from matching.spot.settlement import Settlement, hold_currency, hold_spec, need, settled_trades
from matching.spot.tape import Tape

Clock = Callable[[], int]
T = TypeVar("T")
_UNFUNDED = frozenset(
    {
        CreateTransferResult.EXCEEDS_CREDITS,
        CreateTransferResult.DEBIT_ACCOUNT_NOT_FOUND,
    }
)


WRITER_LOCK = "writer.lock"
CURSOR_EVERY = 64
"""Commands between two writes of the poster's cursor (and at close). The cursor only saves work at open
(`matching.spot.poster`): one behind re-posts at most this many commands, each answered `exists`, while
writing it after every command cost a file create and rename (~3 ms on the loaded VM) inside the
market's lock, that is in every order's serialised path."""


def micros() -> int:
    """The wall clock in µs: what a market stamps its commands with (never behind the book's clock)."""
    return time.time_ns() // 1_000


def lock_writer(directory: Path) -> int:
    """Take the book's writer lock (held until `close` or the process's death, kill -9 included): a second
    writer on one journal, e.g. another API process, would interleave sequence numbers and fork history."""
    make_private_directory(directory, parents=True)
    fd = os.open(directory / WRITER_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise MarketBusy(f"another process is the writer of {directory}") from None
    return fd


def open_as_writer(directory: Path, build: Callable[[], T]) -> tuple[T, int]:
    """`build()` under the book's writer lock, and the lock's descriptor (closed if `build` fails; else the
    market keeps it until it closes)."""
    lock = lock_writer(directory)
    try:
        return build(), lock
    except BaseException:
        os.close(lock)
        raise


class SpotMarket(MarketData):
    """The book, journal and ledger postings of one spot market (open with `SpotMarket.open`)."""

    settlement_type: type[Settlement] = Settlement  # what a command's events move in the ledger
    venue: Venue = Venue.SPOT  # what its trades' settlement leaves say printed them

    def __init__(
        self,
        market: MarketSpec,
        book: JournaledBook,
        database: Database,
        settlement: Settlement,
        clock: Clock,
    ) -> None:
        self.market = market
        self.book = book
        self.database = database
        self.settlement = settlement
        self.clock = clock
        self.orphans_released: list[int] = []
        self.tape = Tape()
        self.feed = Feed()
        self._lock = threading.Lock()
        self._halted: BaseException | None = None
        self._closed = False
        self._writer_lock = -1
        self._accounts_open: set[int] = set()
        self._posted = 0  # the last seq whose transfers are known posted (not yet in the cursor, maybe)
        self._cursor = 0  # the seq the cursor file says

    @classmethod
    def open(
        cls,
        market: MarketSpec,
        directory: Path,
        database: Database,
        *,
        clock: Clock = micros,
        snapshot_every: int = 100_000,
    ) -> Self:
        """Open the book, bring the ledger up to the journal, release orphan holds; then it may serve.

        The settlement state (each open order's reservation) is recomputed by running the whole journal
        through a second engine; its state hash must equal the book's, or the two disagree about history.
        """
        spot, spot_lock = open_as_writer(
            directory, lambda: cls._recover(market, directory, database, clock, snapshot_every)
        )
        spot._writer_lock = spot_lock
        return spot

    @classmethod
    def _recover(
        cls, market: MarketSpec, directory: Path, database: Database, clock: Clock, snapshot_every: int
    ) -> Self:
        ensure_accounts(database, market_specs(market))
        book = JournaledBook.open(directory, snapshot_every=snapshot_every)
        records, _ = decode_records((directory / JOURNAL_NAME).read_bytes())
        cursor = read_cursor(directory)
        shadow, settlement, tape = Engine(), cls.settlement_type(market), Tape()
        for seq, cmd in records:
            events = shadow.process(cmd)
            tape.record(seq, cmd.ts, events)
            specs = settlement.apply(seq, cmd, events)
            if seq > cursor:
                post(database, specs, settled_trades(market, seq, events, cls.venue))
        if state_hash(shadow) != book.state_hash():
            raise RuntimeError(f"{market.id}: the journal replayed does not give the book's state")
        write_cursor(directory, book.last_seq)
        spot = cls(market, book, database, settlement, clock)
        spot.tape = tape
        spot.feed = Feed(book.last_seq)
        spot._posted = spot._cursor = book.last_seq
        spot.orphans_released = release_orphans(database, market, settlement.placed)
        return spot

    def open_accounts(self, trader: int) -> None:
        """Create trader `trader`'s accounts in both currencies (idempotent); funding them is the ledger's.

        Once per trader and market object: a ledger account is never removed, so a trader seen here has
        its accounts, and every later order skips the write transaction (a commit, an fsync on SQLite)
        that finding them again would cost. Two first orders at once may both create: that answers
        `exists`, harmless."""
        if trader in self._accounts_open:
            return
        ensure_accounts(self.database, trader_specs(self.market, trader))
        self._accounts_open.add(trader)

    # -- commands ----------------------------------------------------------------------------------

    def place(self, place: Place) -> list[Event]:
        """Hold the order's reservation, then journal and match it; its events. `place.ts` is replaced
        by the market's clock. Only limit orders: a market or stop order has no limit to hold against."""
        self._check_place(place)
        outcome = create_transfer(self.database, hold_spec(self.market, place))
        if outcome.result in _UNFUNDED:
            raise InsufficientFunds(
                f"the order needs {need(self.market, place.side, place.qty, place.price)} held"
            )
        if not outcome.ok:
            raise RuntimeError(f"hold for order {place.order_id}: {outcome.result}")
        return self._run(lambda ts: place._replace(ts=ts))

    def _check_place(self, place: Place) -> None:
        """Refuse, before anything is written, an order this market cannot take."""
        if place.kind is not Kind.LIMIT:
            raise UnsupportedOrder("a spot order is a limit order (use tif IOC or FOK to take only)")
        if place.reduce_only:
            raise UnsupportedOrder("reduce_only has no meaning for spot")
        if (
            not 0 < place.qty <= self.market.max_qty_lots
            or not 0 < place.price <= self.market.max_price_ticks
        ):
            raise UnsupportedOrder("qty and price must be within the market's limits")
        if place.order_id in self.settlement.placed:
            raise UnsupportedOrder(f"order id {place.order_id} was used before: ids are never reused")
        self._check_running()

    def cancel(self, trader: int, order_id: int) -> list[Event]:
        """Cancel a live order of `trader`; its reservation goes back."""
        return self._run(lambda ts: Cancel(ts, order_id, trader))

    def amend(self, trader: int, order_id: int, price: int, qty: int) -> list[Event]:
        """Amend a resting order within what it holds (a larger reservation: cancel and place again)."""

        def within_hold() -> None:  # under the lock: a fill may have spent part of the hold meanwhile
            order = self.settlement.orders.get(order_id)
            if order is not None and order.trader == trader:
                wanted = self.settlement.need(order.side, qty, price or order.price)
                if wanted > order.held:
                    raise AmendNeedsFunds(f"the amended order needs {wanted} held, it holds {order.held}")

        return self._run(lambda ts: Amend(ts, order_id, trader, price, qty), within_hold)

    def tick(self) -> list[Event]:
        """Move the clock: GTD orders due expire, and their reservations go back."""
        return self._run(Tick)

    def _check_running(self) -> None:
        if self._halted is not None:
            raise MarketHalted(
                f"{self.market.id} stopped after a failed posting; reopen it"
            ) from self._halted

    def _run(self, make: Callable[[int], Command], check: Callable[[], None] | None = None) -> list[Event]:
        """Stamp, journal and apply one command, then post its transfers; its events. `check` may still
        refuse it, under the lock, before anything is written.

        Once the command is journaled, anything failing (settlement's own invariant, the ledger, the
        cursor) halts the market: the journal holds a command the ledger may not reflect, and only the
        reopen's replay knows how to catch up."""
        with self._lock:
            self._check_running()
            if check is not None:
                check()
            cmd = make(max(self.clock(), self.book.engine.clock))
            (events,) = self.book.submit([cmd])
            try:
                seq = self.book.last_seq
                trades = self.tape.record(seq, cmd.ts, events)
                update = self.feed.prepare(
                    seq, cmd.ts, events, trades, self.settlement.orders, self.book.engine.book
                )
                specs: Sequence[TransferSpec] = self.settlement.apply(seq, cmd, events)
                post(self.database, specs, settled_trades(self.market, seq, events, self.venue))
                self._posted = seq
                if seq - self._cursor >= CURSOR_EVERY:
                    self._write_cursor()
            except BaseException as error:
                self._halted = error
                raise MarketHalted(f"{self.market.id}: posting seq {self.book.last_seq} failed") from error
            if update is not None:
                self.feed.publish(update)
            return events

    def held(self, trader: int) -> dict[str, int]:
        """What `trader`'s open orders hold in this market's escrow, by currency (ledger units)."""
        with self._lock:
            held = {self.market.base: 0, self.market.quote: 0}
            for order in self.settlement.orders.values():
                if order.trader == trader:
                    held[hold_currency(self.market, order.side)] += order.held
            return held

    def exposure(self, trader: int) -> tuple[int, int, int]:
        """`trader`'s (position, open buy lots, open sell lots) in this book, for the pre-trade checks."""
        with self._lock:
            position = self.book.engine.positions.get(trader, 0)
            buys = sells = 0
            for order in self.settlement.orders.values():
                if order.trader == trader:
                    if order.side == Side.BUY:
                        buys += order.leaves
                    else:
                        sells += order.leaves
            return position, buys, sells

    def reference_price(self) -> int:
        """The last trade's price in ticks, else the mid of a two-sided book (rounded down), else 0."""
        with self._lock:
            engine = self.book.engine
            if engine.last_price:
                return engine.last_price
            bid, ask = engine.book.best(Side.BUY), engine.book.best(Side.SELL)
            return 0 if bid is None or ask is None else (bid.price + ask.price) // 2

    def position_notional(self, lots: int, price: int) -> int:
        """What `lots` at `price` ticks are worth in quote ledger units (an option book measures its
        underlying instead: `OptionBook.position_notional`)."""
        return self.market.notional(lots, price)

    def _write_cursor(self) -> None:
        """Record `_posted` as the poster's cursor (never a seq whose posting failed: a halted market's
        cursor stays at the last command that was posted, so the reopen posts the rest)."""
        if self._posted > self._cursor:
            write_cursor(self.book.directory, self._posted)
            self._cursor = self._posted

    def close(self) -> None:
        """Write the cursor and close the journal (again: nothing)."""
        if not self._closed:
            self._closed = True
            with self._lock:
                self.feed.end()
                self._write_cursor()
            self.book.close()
            if self._writer_lock >= 0:
                os.close(self._writer_lock)
