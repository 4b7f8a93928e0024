"""A slow, obviously correct order book to check the engine against.

It shares nothing with `matching.engine` but the command and event types (the interface under test):
orders live in one plain list, each side is re-sorted by (price, time) at every step, FOK is decided by
running the order on a deep copy and looking at what traded, and every stop is checked after every
command. Written for clarity, never for speed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from matching.engine import (
    Accepted,
    Amend,
    Amended,
    Cancel,
    Canceled,
    Command,
    Decremented,
    Done,
    Event,
    Kind,
    Place,
    Reject,
    Rejected,
    Side,
    Stp,
    Tick,
    Tif,
    Trade,
    Triggered,
)

LIMIT_KINDS = (Kind.LIMIT, Kind.STOP_LIMIT, Kind.TAKE_PROFIT_LIMIT)
STOP_KINDS = (Kind.STOP, Kind.STOP_LIMIT, Kind.TAKE_PROFIT, Kind.TAKE_PROFIT_LIMIT)


@dataclass
class RefOrder:
    order_id: int
    account: int
    side: Side
    kind: Kind
    price: int
    trigger: int
    leaves: int
    visible: int
    peak: int
    tif: Tif
    expire_ts: int
    stp: Stp
    post_only: bool
    reduce_only: bool
    time: int


class ReferenceBook:
    def __init__(self) -> None:
        self.resting: list[RefOrder] = []
        self.stops: list[RefOrder] = []
        self.positions: dict[int, int] = {}
        self.clock = 0
        self.last = 0
        self.time = 0

    # -- views ----------------------------------------------------------------------------------------

    def side(self, side: int) -> list[RefOrder]:
        """One side, best first: highest bid or lowest ask, then oldest."""
        orders = [o for o in self.resting if o.side == side]
        return sorted(orders, key=lambda o: (-o.price if side == Side.BUY else o.price, o.time))

    def snapshot(self) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]], list[int]]:
        def row(o: RefOrder) -> tuple[int, ...]:
            return (o.order_id, o.account, o.price, o.leaves, o.visible)

        stops = [o.order_id for o in self.stops]
        return [row(o) for o in self.side(0)], [row(o) for o in self.side(1)], stops

    def tick(self) -> int:
        self.time += 1
        return self.time

    # -- commands -------------------------------------------------------------------------------------

    def process(self, cmd: Command) -> list[Event]:
        ev: list[Event] = []
        if cmd.ts < self.clock:
            ev.append(Rejected(getattr(cmd, "order_id", 0), Reject.CLOCK_WENT_BACKWARDS))
            return ev
        if cmd.ts > self.clock:
            self.clock = cmd.ts
            due = [o for o in self.resting + self.stops if o.tif == Tif.GTD and o.expire_ts <= self.clock]
            for o in sorted(due, key=lambda o: (o.expire_ts, o.order_id)):
                self.remove(o)
                ev.append(Canceled(o.order_id, o.leaves, Done.EXPIRED))
        if isinstance(cmd, Place):
            self.place(cmd, ev)
        elif isinstance(cmd, Cancel):
            self.cancel(cmd, ev)
        elif isinstance(cmd, Amend):
            self.amend(cmd, ev)
        else:
            assert isinstance(cmd, Tick)
        self.fire_stops(ev)
        return ev

    def remove(self, o: RefOrder) -> None:
        if o in self.resting:
            self.resting.remove(o)
        else:
            self.stops.remove(o)

    def find(self, order_id: int) -> RefOrder | None:
        for o in self.resting + self.stops:
            if o.order_id == order_id:
                return o
        return None

    def reject_reason(self, c: Place) -> Reject | None:
        limit = c.kind in LIMIT_KINDS
        stop = c.kind in STOP_KINDS
        rests = c.tif in (Tif.GTC, Tif.GTD)
        if c.qty < 1:
            return Reject.INVALID_QUANTITY
        if (limit and c.price < 1) or (not limit and c.price != 0):
            return Reject.INVALID_PRICE
        if (stop and c.trigger < 1) or (not stop and c.trigger != 0):
            return Reject.INVALID_TRIGGER
        if not limit and rests:
            return Reject.INVALID_TIF
        if c.tif == Tif.GTD and c.expire_ts <= c.ts:
            return Reject.INVALID_EXPIRY
        if c.tif != Tif.GTD and c.expire_ts != 0:
            return Reject.INVALID_EXPIRY
        if c.peak != 0 and not (0 < c.peak < c.qty and rests):
            return Reject.INVALID_PEAK
        if c.post_only and not (c.kind == Kind.LIMIT and rests):
            return Reject.INVALID_POST_ONLY
        if c.reduce_only and rests:
            return Reject.REDUCE_ONLY_MUST_NOT_REST
        if self.find(c.order_id) is not None:
            return Reject.DUPLICATE_ORDER_ID
        return None

    def room(self, account: int, side: Side) -> int:
        pos = self.positions.get(account, 0)
        return max(pos, 0) if side == Side.SELL else max(-pos, 0)

    def place(self, c: Place, ev: list[Event]) -> None:
        reason = self.reject_reason(c)
        qty = c.qty
        if reason is None and c.reduce_only and c.kind not in STOP_KINDS:
            qty = min(qty, self.room(c.account, c.side))
            if qty == 0:
                reason = Reject.REDUCE_ONLY_NO_POSITION
        o = RefOrder(
            c.order_id, c.account, c.side, c.kind, c.price, c.trigger, qty, qty, c.peak, c.tif, c.expire_ts,
            c.stp, c.post_only, c.reduce_only, 0,
        )  # fmt: skip
        if reason is None and c.kind in STOP_KINDS and self.last and self.is_fired(o):
            reason = Reject.STOP_WOULD_TRIGGER
        if reason is None and c.post_only and self.would_cross(c.side, c.price):
            reason = Reject.POST_ONLY_WOULD_TAKE
        if reason is None and c.kind not in STOP_KINDS and c.tif == Tif.FOK and not self.fok_fills(o):
            reason = Reject.FOK_NOT_FILLABLE
        if reason is not None:
            ev.append(Rejected(c.order_id, reason))
            return
        o.time = self.tick()
        ev.append(Accepted(c.order_id))
        if c.kind in STOP_KINDS:
            self.stops.append(o)
        else:
            self.take(o, ev)

    def cancel(self, c: Cancel, ev: list[Event]) -> None:
        o = self.find(c.order_id)
        if o is None:
            ev.append(Rejected(c.order_id, Reject.UNKNOWN_ORDER))
        elif o.account != c.account:
            ev.append(Rejected(c.order_id, Reject.NOT_OWNER))
        else:
            self.remove(o)
            ev.append(Canceled(o.order_id, o.leaves, Done.CANCELED))

    def amend(self, c: Amend, ev: list[Event]) -> None:
        o = self.find(c.order_id)
        if o is None:
            ev.append(Rejected(c.order_id, Reject.UNKNOWN_ORDER))
            return
        if o in self.stops:
            ev.append(Rejected(c.order_id, Reject.NOT_AMENDABLE))
            return
        if o.account != c.account:
            ev.append(Rejected(c.order_id, Reject.NOT_OWNER))
            return
        if c.qty < 1:
            ev.append(Rejected(c.order_id, Reject.INVALID_QUANTITY))
            return
        if c.price < 0:
            ev.append(Rejected(c.order_id, Reject.INVALID_PRICE))
            return
        if o.post_only and c.price > 0 and self.would_cross(o.side, c.price):
            ev.append(Rejected(c.order_id, Reject.POST_ONLY_WOULD_TAKE))
            return
        new_price = c.price if c.price > 0 else o.price
        if new_price == o.price and c.qty <= o.leaves:
            o.leaves = c.qty
            o.visible = min(o.visible, c.qty)
            ev.append(Amended(o.order_id, new_price, c.qty, True))
            return
        self.resting.remove(o)
        o.price = new_price
        o.leaves = c.qty
        o.time = self.tick()
        ev.append(Amended(o.order_id, new_price, c.qty, False))
        self.take(o, ev)

    # -- matching -------------------------------------------------------------------------------------

    def would_cross(self, side: Side, price: int) -> bool:
        other = self.side(1 - side)
        if not other:
            return False
        best = other[0].price
        return best <= price if side == Side.BUY else best >= price

    def fok_fills(self, o: RefOrder) -> bool:
        """Run the order on a copy of the book: does it trade its whole quantity?"""
        trial = copy.deepcopy(self)
        probe = copy.deepcopy(o)
        events: list[Event] = []
        trial.take(probe, events)
        traded = sum(e.qty for e in events if isinstance(e, Trade))
        return traded == o.leaves

    def take(self, o: RefOrder, ev: list[Event]) -> None:
        while o.leaves > 0:
            other = self.side(1 - o.side)
            if not other:
                break
            m = other[0]
            if o.price and (m.price > o.price if o.side == Side.BUY else m.price < o.price):
                break
            if m.account == o.account:
                if o.stp == Stp.DECREMENT:
                    q = min(o.leaves, m.visible)
                    ev.append(Decremented(o.order_id, m.order_id, q))
                    o.leaves -= q
                    self.consume(m, q)
                    continue
                if o.stp in (Stp.EXPIRE_MAKER, Stp.EXPIRE_BOTH):
                    self.resting.remove(m)
                    ev.append(Canceled(m.order_id, m.leaves, Done.SELF_TRADE))
                if o.stp == Stp.EXPIRE_MAKER:
                    continue
                ev.append(Canceled(o.order_id, o.leaves, Done.SELF_TRADE))
                o.leaves = 0
                break
            q = min(o.leaves, m.visible)
            ev.append(Trade(o.order_id, m.order_id, o.account, m.account, o.side, m.price, q))
            self.last = m.price
            buyer, seller = (o.account, m.account) if o.side == Side.BUY else (m.account, o.account)
            self.positions[buyer] = self.positions.get(buyer, 0) + q
            self.positions[seller] = self.positions.get(seller, 0) - q
            o.leaves -= q
            self.consume(m, q)
        if o.leaves == 0:
            return
        if o.kind == Kind.LIMIT and o.tif in (Tif.GTC, Tif.GTD):
            o.visible = o.peak if 0 < o.peak < o.leaves else o.leaves
            self.resting.append(o)
        else:
            ev.append(Canceled(o.order_id, o.leaves, Done.UNFILLED))

    def consume(self, m: RefOrder, q: int) -> None:
        m.leaves -= q
        m.visible -= q
        if m.leaves == 0:
            self.resting.remove(m)
        elif m.visible == 0:
            m.visible = min(m.peak, m.leaves)
            m.time = self.tick()

    # -- stops ----------------------------------------------------------------------------------------

    def is_fired(self, o: RefOrder) -> bool:
        if o.kind in (Kind.STOP, Kind.STOP_LIMIT):
            return self.last >= o.trigger if o.side == Side.BUY else self.last <= o.trigger
        return self.last <= o.trigger if o.side == Side.BUY else self.last >= o.trigger

    def fire_stops(self, ev: list[Event]) -> None:
        while self.last:
            fired = [o for o in self.stops if self.is_fired(o)]
            if not fired:
                return
            o = fired[0]
            self.stops.remove(o)
            ev.append(Triggered(o.order_id, self.last))
            o.kind = Kind.LIMIT if o.kind in LIMIT_KINDS else Kind.MARKET
            o.time = self.tick()
            if o.reduce_only:
                o.leaves = min(o.leaves, self.room(o.account, o.side))
                if o.leaves == 0:
                    ev.append(Canceled(o.order_id, 0, Done.REDUCE_ONLY))
                    continue
            if o.tif == Tif.FOK and not self.fok_fills(o):
                ev.append(Canceled(o.order_id, o.leaves, Done.FOK_NOT_FILLABLE))
                continue
            self.take(o, ev)
