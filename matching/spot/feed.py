"""A spot market's live market data: book level changes and trades, one update per journaled command.

The market derives each update from the engine's events after the command is journaled and its transfers
posted, under the market's lock, so updates come in the book's order and a snapshot taken under the same
lock sits exactly between two of them. Each update carries the stream's sequence number, contiguous from
the subscriber's snapshot onwards: a client that sees `seq` jump knows it missed something and asks for a
fresh snapshot (`SpotMarket.resync`). An update is the whole effect of one command (its trades and every
level it changed), so a client never holds a half-applied command, e.g. a crossed book.

Which levels a command changed is read from its events: every order they name had its level before the
command (the settlement's open orders, still as they were) and may have one after (the engine's book).
The new size of each such level is read from the book, what it shows (an iceberg's peak, not its reserve),
as `/v1/markets/{id}/book` reads it: the level's `total` of open lots, in O(1), unless an iceberg rests
there (then its orders are summed). The feed knows where icebergs rest because an order only enters or
moves in the book by a command whose events name it; the positions are rebuilt from the book at every
subscription, since nothing is tracked while nobody listens. A command that changed nothing visible and
printed no trade (a refused one) gives no update.

Publishing never waits for a subscriber: each has a bounded queue, and one that is full is marked
overflowed, receives nothing more and is dropped by its consumer (it must reconnect or resync). The
producer is always the market's single writer (under its lock) and the consumer one task: `deque`'s
append and popleft are atomic, so neither takes a lock, and a racing `len` can only over-count.
Nothing is computed while nobody subscribes.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from matching.engine import Book, Decremented, Event, Rejected, Side, Trade
from matching.spot.tape import Tape, TapeTrade

if TYPE_CHECKING:
    from matching.journal import JournaledBook

Wake = Callable[[], None]
Levels = list[tuple[int, int]]


class Resting(Protocol):
    """An order as it rested before a command: which level it was in (the settlement's `OpenOrder`, or
    the engine's own order)."""

    @property
    def side(self) -> int: ...

    @property
    def price(self) -> int: ...


@dataclass(frozen=True, slots=True)
class LevelChange:
    """The level of `side` at `price` ticks now shows `qty` lots (0: the level is gone)."""

    side: Side
    price: int
    qty: int


@dataclass(slots=True)
class Update:
    """What one journaled command did to the book and the tape."""

    seq: int
    """The stream's sequence number: the previous update's plus one."""
    journal_seq: int
    ts: int
    changes: tuple[LevelChange, ...]
    trades: tuple[TapeTrade, ...]
    wire: str | None = field(default=None, compare=False)
    """The update as the API sends it, encoded once by the first consumer (all would encode it alike)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The whole book as shown, best first, just after update `seq`."""

    seq: int
    bids: Levels
    asks: Levels


def shown(book: Book, side: int, price: int) -> int:
    """The lots the level of `side` at `price` shows (0 if there is none)."""
    level = book.levels[side].get(price)
    return 0 if level is None else sum(order.visible for order in level.orders())


def levels(book: Book, side: Side, limit: int | None = None) -> Levels:
    """The best `limit` levels of `side` (all of them without a limit) as (ticks, lots shown)."""
    found: Levels = []
    for level in book.side_levels(side):
        if limit is not None and len(found) == limit:
            break
        found.append((level.price, sum(order.visible for order in level.orders())))
    return found


class Subscription:
    """One subscriber's bounded queue of updates; `wake` is called (from the market's thread) when there is
    something to take or the subscription ended."""

    def __init__(self, capacity: int, wake: Wake) -> None:
        if capacity < 1:
            raise ValueError("a subscription holds at least one update")
        self.capacity = capacity
        self.queue: deque[Update] = deque()
        self.overflowed = False
        self.closed = False
        self._wake = wake

    def offer(self, update: Update) -> None:
        """Queue `update`, or mark the subscription overflowed if it already holds `capacity`."""
        if self.overflowed or self.closed:
            return
        if len(self.queue) >= self.capacity:
            self.overflowed = True
            self.queue.clear()
        else:
            self.queue.append(update)
        self._wake()

    def take(self) -> list[Update]:
        """Everything queued, oldest first."""
        taken: list[Update] = []
        while self.queue:
            taken.append(self.queue.popleft())
        return taken

    def end(self) -> None:
        """The market closed: nothing more will come."""
        self.closed = True
        self._wake()


class Feed:
    """The subscribers of one market and its stream's sequence; driven by the market under its lock.

    The sequence goes on across restarts: a market reopened from its journal starts it at the number of
    records journaled (`start`), and a process publishes at most one update per record it journals, so
    every seq a new process sends is above every seq an earlier one sent. A client holding a seq from
    before a restart thus sees a jump (and resyncs), never a repeat it could mistake for continuity."""

    def __init__(self, start: int = 0) -> None:
        self.seq = start
        self.subscribers: list[Subscription] = []
        self.icebergs: dict[int, tuple[int, int]] = {}
        """Resting icebergs' (side, price), by order id: the levels whose shown lots are not their total."""
        self._iceberg_levels: Counter[tuple[int, int]] = Counter()

    def _shown(self, book: Book, side: int, price: int) -> int:
        if (side, price) in self._iceberg_levels:
            return shown(book, side, price)
        level = book.levels[side].get(price)
        return 0 if level is None else level.total

    def _track(self, order_id: int, book: Book) -> None:
        """Follow order `order_id` (named by an event) in the iceberg positions."""
        was = self.icebergs.pop(order_id, None)
        if was is not None:
            self._iceberg_levels[was] -= 1
            if not self._iceberg_levels[was]:
                del self._iceberg_levels[was]
        order = book.orders.get(order_id)
        if order is not None and order.peak > 0:
            self.icebergs[order_id] = (order.side, order.price)
            self._iceberg_levels[order.side, order.price] += 1

    def prepare(
        self,
        journal_seq: int,
        ts: int,
        events: Sequence[Event],
        trades: Sequence[TapeTrade],
        before: Mapping[int, Resting],
        book: Book,
    ) -> Update | None:
        """The update of a command, from its events, the open orders as they were before it (`before`)
        and the book after it; None if nobody listens or it changed nothing shown."""
        if not self.subscribers:
            return None
        touched: set[tuple[int, int]] = set()
        for event in events:
            if isinstance(event, Rejected):
                continue  # changed nothing
            if isinstance(event, Trade):
                touched.add((1 - event.taker_side, event.price))
            if isinstance(event, (Trade, Decremented)):
                ids: tuple[int, ...] = (event.taker_id, event.maker_id)
            else:
                ids = (event.order_id,)
            for order_id in ids:
                was = before.get(order_id)
                if was is not None:
                    touched.add((int(was.side), was.price))
                now = book.orders.get(order_id)
                if now is not None:
                    touched.add((now.side, now.price))
                self._track(order_id, book)
        changes = tuple(
            LevelChange(Side(side), price, self._shown(book, side, price)) for side, price in sorted(touched)
        )
        if not changes and not trades:
            return None
        self.seq += 1
        return Update(self.seq, journal_seq, ts, changes, tuple(trades))

    def publish(self, update: Update) -> None:
        """Offer `update` to every subscriber; those that overflowed are let go."""
        for subscription in self.subscribers:
            subscription.offer(update)
        self.subscribers = [s for s in self.subscribers if not s.overflowed]

    def snapshot(self, book: Book) -> Snapshot:
        """The book now; the iceberg positions are rebuilt with it (nothing is tracked while nobody
        listens)."""
        self.icebergs = {
            order.order_id: (order.side, order.price) for order in book.orders.values() if order.peak > 0
        }
        self._iceberg_levels = Counter(self.icebergs.values())
        return Snapshot(self.seq, levels(book, Side.BUY), levels(book, Side.SELL))

    def end(self) -> None:
        for subscription in self.subscribers:
            subscription.end()
        self.subscribers = []


class MarketData:
    """What a market with a journaled book serves as market data, read under its lock: the depth, the
    tape (`matching.spot.tape`) and its feed's subscriptions. The spot market (and the option series',
    its subclass) and the perpetual share it; each keeps its tape and feed as it applies commands."""

    book: JournaledBook
    tape: Tape
    feed: Feed
    _lock: threading.Lock

    def depth(self, side: Side, limit: int) -> list[tuple[int, int]]:
        """The best `limit` price levels of `side` as (ticks, lots shown), best first."""
        with self._lock:
            return levels(self.book.engine.book, side, limit)

    def subscribe(self, capacity: int, wake: Wake) -> tuple[Subscription, Snapshot]:
        """A subscription to this market's updates (at most `capacity` queued) and the book it starts from."""
        subscription = Subscription(capacity, wake)
        with self._lock:
            self.feed.subscribers.append(subscription)
            return subscription, self.feed.snapshot(self.book.engine.book)

    def resync(self, subscription: Subscription) -> Snapshot:
        """A fresh snapshot for `subscription`, whose queue restarts after it."""
        with self._lock:
            subscription.queue.clear()
            return self.feed.snapshot(self.book.engine.book)

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self.feed.subscribers:
                self.feed.subscribers.remove(subscription)
