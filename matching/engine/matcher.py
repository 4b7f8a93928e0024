"""The engine: one market's book, its single writer, commands in and events out.

Everything the engine does is a function of the commands it has processed, in order: no wall clock (the
commands carry `ts`), no randomness, no I/O. That is what lets the journal replay a book to the same
state hash after a crash, and what lets the property tests compare it against a slow reference model.

Matching walks the best opposite level from its head: each maker trades `min(taker left, maker shown)` at
the maker's price. An iceberg that runs out of shown lots refreshes from its hidden reserve and goes to
the back of its level (a new time priority), as on CME and Eurex. When a taker meets an order of its own
account, the taker's self-trade prevention mode decides (see `Stp`). After every trade the stops are
checked in the order they arrived; a fired stop enters the book as a market or limit order and may fire
others (a cascade), all within the command that moved the price.

Each account's position in this book (signed lots: bought minus sold) is tracked for reduce-only orders,
which trade at most what brings it back to zero.
"""

from __future__ import annotations

from heapq import heappop
from heapq import heappush as _heappush
from typing import Final

from matching.engine.book import Book, Order
from matching.engine.commands import Amend, Cancel, Command, Place
from matching.engine.events import Accepted, Amended, Canceled, Decremented, Event, Rejected, Trade, Triggered
from matching.engine.rules import check_place, fires, reducible
from matching.engine.types import Done, Kind, Reject, Side, Stp, Tif

_MARKET_ON_FIRE: dict[int, int] = {Kind.STOP: Kind.MARKET, Kind.TAKE_PROFIT: Kind.MARKET}
# Enum members read once for the hot path (an enum attribute lookup costs ~70 ns on Python 3.11).
_GTD: Final = int(Tif.GTD)
_FOK: Final = int(Tif.FOK)
_MARKET: Final = int(Kind.MARKET)
_EXPIRE_TAKER: Final = int(Stp.EXPIRE_TAKER)
_EXPIRE_MAKER: Final = int(Stp.EXPIRE_MAKER)
_DECREMENT: Final = int(Stp.DECREMENT)
_UNFILLED: Final = Done.UNFILLED
_CANCELED: Final = Done.CANCELED
_STOP: Final = int(Kind.STOP)
_TAKE_PROFIT_LIMIT: Final = int(Kind.TAKE_PROFIT_LIMIT)  # the triggered kinds are STOP .. TAKE_PROFIT_LIMIT
# The events are NamedTuples, whose constructor is a Python-level `__new__` (a frame and a second call
# into `tuple.__new__`): building them with `tuple.__new__(Event, (fields...))` directly gives the same
# objects at a third of the cost, and compiled the field tuple is built in C. The command and event
# classes are bound as `Final` so that mypyc reads them from a C static, not the module dictionary.
_new: Final = tuple.__new__
_PLACE: Final = Place
_CANCEL: Final = Cancel
_AMEND: Final = Amend
_ACCEPTED: Final = Accepted
_REJECTED: Final = Rejected
_TRADE: Final = Trade
_CANCELED_EVENT: Final = Canceled
heappush: Final = _heappush  # a C static, not a module-dictionary lookup per GTD order


class Engine:
    """One market's order book with its stops, positions and clock."""

    __slots__ = ("book", "clock", "expiries", "last_price", "positions", "seq", "stops")

    def __init__(self) -> None:
        self.book = Book()
        self.stops: dict[int, Order] = {}  # waiting for their trigger, in arrival order
        self.positions: dict[int, int] = {}  # account -> lots bought minus lots sold
        self.clock = 0
        self.last_price = 0  # 0: nothing has traded yet
        self.seq = 0  # the next time priority
        self.expiries: list[tuple[int, int]] = []  # heap of (expire_ts, order_id); stale entries are skipped

    def process(self, cmd: Command) -> list[Event]:
        """Apply one command and return what it caused, in order."""
        events: list[Event] = []
        # `ts` is every command's first field: compiled, `cmd[0]` is an item read where `.ts` on the
        # `Command` union was a generic getattr.
        ts = cmd[0]
        if ts < self.clock:
            events.append(Rejected(getattr(cmd, "order_id", 0), Reject.CLOCK_WENT_BACKWARDS))
            return events
        if ts > self.clock:
            self.clock = ts
            expiries = self.expiries
            if expiries and expiries[0][0] <= ts:
                self._expire(events)
        kind = type(cmd)
        if kind is _PLACE:
            self._place(cmd, events)  # type: ignore[arg-type]
        elif kind is _CANCEL:
            self._cancel(cmd, events)  # type: ignore[arg-type]
        elif kind is _AMEND:
            self._amend(cmd, events)  # type: ignore[arg-type]
        return events

    # -- commands ---------------------------------------------------------------------------------------

    def _place(self, cmd: Place, events: list[Event]) -> None:
        order_id = cmd.order_id
        reason = check_place(cmd)
        stops = self.stops  # usually empty: skip its lookup then
        if reason is None and (order_id in self.book.orders or (len(stops) > 0 and order_id in stops)):
            reason = Reject.DUPLICATE_ORDER_ID
        qty = cmd.qty
        kind: int = cmd.kind
        triggered = _STOP <= kind <= _TAKE_PROFIT_LIMIT
        if reason is None and cmd.reduce_only and not triggered:
            qty = reducible(self.positions.get(cmd.account, 0), cmd.side, qty)
            if qty == 0:
                reason = Reject.REDUCE_ONLY_NO_POSITION
        if reason is not None:
            events.append(_new(_REJECTED, (order_id, reason)))
            return
        order = Order(
            order_id, cmd.account, cmd.side, kind, cmd.price, cmd.trigger, qty, cmd.peak, cmd.tif,
            cmd.expire_ts, cmd.stp, cmd.post_only, cmd.reduce_only, self.seq,
        )  # fmt: skip
        if triggered:
            if self.last_price and fires(order, self.last_price):
                events.append(Rejected(order_id, Reject.STOP_WOULD_TRIGGER))
                return
            self.stops[order_id] = order
            self.seq += 1
            if cmd.tif == _GTD:
                heappush(self.expiries, (cmd.expire_ts, order_id))
            events.append(_new(_ACCEPTED, (order_id,)))
            return
        if cmd.post_only and self._crosses(order.side, order.price):
            events.append(Rejected(order_id, Reject.POST_ONLY_WOULD_TAKE))
            return
        if cmd.tif == _FOK and not self._fillable(order):
            events.append(Rejected(order_id, Reject.FOK_NOT_FILLABLE))
            return
        events.append(_new(_ACCEPTED, (order_id,)))
        self.seq += 1
        last = self.last_price
        self._take(order, events)
        if self.stops and self.last_price != last:
            self._fire_stops(events)

    def _cancel(self, cmd: Cancel, events: list[Event]) -> None:
        order = self.book.orders.get(cmd.order_id) or self.stops.get(cmd.order_id)
        if order is None or order.account != cmd.account:
            events.append(Rejected(cmd.order_id, Reject.UNKNOWN_ORDER if order is None else Reject.NOT_OWNER))
            return
        self._drop(order, _CANCELED, events)

    def _amend(self, cmd: Amend, events: list[Event]) -> None:
        order_id = cmd.order_id
        order = self.book.orders.get(order_id)
        reason = None
        if order is None:
            reason = Reject.NOT_AMENDABLE if order_id in self.stops else Reject.UNKNOWN_ORDER
        elif order.account != cmd.account:
            reason = Reject.NOT_OWNER
        elif cmd.qty <= 0:
            reason = Reject.INVALID_QUANTITY
        elif cmd.price < 0:
            reason = Reject.INVALID_PRICE
        elif order.post_only and cmd.price and self._crosses(order.side, cmd.price):
            reason = Reject.POST_ONLY_WOULD_TAKE
        if reason is not None or order is None:
            events.append(Rejected(order_id, reason or Reject.UNKNOWN_ORDER))
            return
        price = cmd.price or order.price
        qty = cmd.qty
        if price == order.price and qty <= order.leaves:
            level = order.level
            assert level is not None
            level.total -= order.leaves - qty
            order.leaves = qty
            if order.visible > qty:
                order.visible = qty
            events.append(Amended(order_id, price, qty, True))
            return
        self.book.remove(order)
        order.price = price
        order.leaves = qty
        order.seq = self.seq
        self.seq += 1
        events.append(Amended(order_id, price, qty, False))
        last = self.last_price
        self._take(order, events)
        if self.stops and self.last_price != last:
            self._fire_stops(events)

    # -- matching ---------------------------------------------------------------------------------------

    def _take(self, order: Order, events: list[Event]) -> None:
        """Match `order` against the opposite side, then rest what is left or cancel it (market, IOC)."""
        book = self.book
        side = order.side
        opposite = 1 - side
        price = order.price  # 0: a market order, no limit
        account = order.account
        positions = self.positions
        keys = book.keys[opposite]  # `Book.best` inlined: the best key is last (see `Book`)
        levels = book.levels[opposite]
        while order.leaves:
            if not keys:
                break
            key = keys[-1]
            level = levels[key if opposite == 0 else -key]
            if price and (level.price > price if side == 0 else level.price < price):
                break
            maker = level.head
            assert maker is not None
            if maker.account == account:
                self._prevent_self_trade(order, maker, events)
                continue
            qty = order.leaves if order.leaves < maker.visible else maker.visible
            self.last_price = px = level.price
            events.append(
                _new(_TRADE, (order.order_id, maker.order_id, account, maker.account, side, px, qty))
            )
            signed = qty if side == 0 else -qty
            positions[account] = positions.get(account, 0) + signed
            positions[maker.account] = positions.get(maker.account, 0) - signed
            order.leaves -= qty
            self._reduce_maker(maker, qty)
        if not order.leaves:
            return
        if order.tif <= _GTD and order.kind != _MARKET:  # GTC or GTD: rest
            order.visible = order.peak if 0 < order.peak < order.leaves else order.leaves
            book.add(order)
            if order.tif == _GTD:
                heappush(self.expiries, (order.expire_ts, order.order_id))
        else:
            events.append(_new(_CANCELED_EVENT, (order.order_id, order.leaves, _UNFILLED)))

    def _reduce_maker(self, maker: Order, qty: int) -> None:
        """Take `qty` shown lots off a resting order; refresh an iceberg's peak at the back of its level."""
        maker.leaves -= qty
        maker.visible -= qty
        level = maker.level
        assert level is not None
        level.total -= qty  # before any removal below, which takes off only the lots still open
        if maker.visible:
            return
        book = self.book
        if not maker.leaves:
            book.remove(maker)
            return
        book.remove(maker)
        maker.visible = maker.peak if maker.peak < maker.leaves else maker.leaves
        maker.seq = self.seq
        self.seq += 1
        book.add(maker)

    def _prevent_self_trade(self, taker: Order, maker: Order, events: list[Event]) -> None:
        """Apply the taker's STP mode to a self-cross; the taker's `leaves` drops to 0 if it must stop."""
        mode = taker.stp
        if mode == _DECREMENT:
            qty = taker.leaves if taker.leaves < maker.visible else maker.visible
            events.append(Decremented(taker.order_id, maker.order_id, qty))
            taker.leaves -= qty
            self._reduce_maker(maker, qty)
            return
        if mode != _EXPIRE_TAKER:  # EXPIRE_MAKER or EXPIRE_BOTH
            self._drop(maker, Done.SELF_TRADE, events)
            if mode == _EXPIRE_MAKER:
                return
        events.append(Canceled(taker.order_id, taker.leaves, Done.SELF_TRADE))
        taker.leaves = 0

    def _crosses(self, side: int, price: int) -> bool:
        """Whether a limit order at `price` would trade at once."""
        level = self.book.best(1 - side)
        return level is not None and (level.price <= price if side == 0 else level.price >= price)

    def _fillable(self, order: Order) -> bool:
        """Whether a fill-or-kill order would fill completely, without changing anything.

        It mirrors `_take`: a level without an order of the taker's account gives all its lots (hidden ones
        too: refreshed icebergs stay in the level); in a level with one, the taker only gets the shown lots
        of the orders ahead of it before STP stops it (unless STP expires makers, which are then skipped).
        """
        need = order.leaves
        price = order.price
        side = order.side
        skip_own = order.stp == _EXPIRE_MAKER
        for level in self.book.side_levels(1 - side):
            if price and (level.price > price if side == 0 else level.price < price):
                return False
            ahead = 0
            total = 0
            for maker in level.orders():
                if maker.account == order.account:
                    if skip_own:
                        continue
                    return need <= ahead
                ahead += maker.visible
                total += maker.leaves
            need -= total
            if need <= 0:
                return True
        return False

    # -- stops, expiry, removal -------------------------------------------------------------------------

    def _fire_stops(self, events: list[Event]) -> None:
        """Fire every waiting order the last price reaches, oldest first, until none is left to fire."""
        stops = self.stops
        while stops:
            last = self.last_price
            fired = next((order for order in stops.values() if fires(order, last)), None)
            if fired is None:
                return
            del stops[fired.order_id]
            events.append(Triggered(fired.order_id, last))
            fired.kind = _MARKET_ON_FIRE.get(fired.kind, Kind.LIMIT)
            fired.seq = self.seq
            self.seq += 1
            if fired.reduce_only:
                fired.leaves = reducible(self.positions.get(fired.account, 0), fired.side, fired.leaves)
                if not fired.leaves:
                    events.append(Canceled(fired.order_id, 0, Done.REDUCE_ONLY))
                    continue
            if fired.tif == _FOK and not self._fillable(fired):
                events.append(Canceled(fired.order_id, fired.leaves, Done.FOK_NOT_FILLABLE))
                continue
            self._take(fired, events)

    def _expire(self, events: list[Event]) -> None:
        """Cancel every GTD order (resting or waiting) whose expiry the clock reached, by expiry then id."""
        expiries = self.expiries
        while expiries and expiries[0][0] <= self.clock:
            expire_ts, order_id = heappop(expiries)
            order = self.book.orders.get(order_id) or self.stops.get(order_id)
            if order is not None and order.tif == _GTD and order.expire_ts == expire_ts:
                self._drop(order, Done.EXPIRED, events)

    def _drop(self, order: Order, reason: Done, events: list[Event]) -> None:
        """Remove a live order from wherever it is and say why."""
        if order.level is not None:
            self.book.remove(order)
        else:
            del self.stops[order.order_id]
        events.append(_new(_CANCELED_EVENT, (order.order_id, order.leaves, reason)))

    def side_of(self, order_id: int) -> Side | None:
        """The side of a live order, or None (a convenience for callers that build cancels)."""
        order = self.book.orders.get(order_id) or self.stops.get(order_id)
        return None if order is None else Side(order.side)
