"""One side-pair of price levels in price-time priority, with O(1) cancel.

Each level is an intrusive doubly linked list of orders (the order holds its neighbours), so removing an
order anywhere in a level is a few pointer writes, as in liquibook and exchange-core. The prices of each
side are kept in one sorted list of keys where the best price is always the *last* element (bids keyed by
price, asks by -price), so finding, removing and emptying the best level never shifts the list. Only a
new level costs a `bisect.insort`; books keep few levels near the touch, which is where new ones appear.
"""

from __future__ import annotations

from bisect import bisect_left as _bisect_left
from bisect import insort as _insort
from collections.abc import Iterator
from typing import Final

from matching.engine.types import Kind, Side, Stp, Tif

# Bound as `Final` so that compiled code reads them from C statics, not the module dictionary (a string
# lookup per new or emptied level).
insort: Final = _insort
bisect_left: Final = _bisect_left


class Order:
    """A live order: resting in a level, or waiting in the stop list for its trigger.

    `leaves` is everything still open; `visible` the part the book shows (an iceberg's current peak, the
    whole of `leaves` otherwise). `seq` is its time priority: it changes when the order loses its place
    (an iceberg refresh, an amend that is not a pure shrink).
    """

    __slots__ = (
        "account",
        "expire_ts",
        "kind",
        "leaves",
        "level",
        "next",
        "order_id",
        "peak",
        "post_only",
        "prev",
        "price",
        "reduce_only",
        "seq",
        "side",
        "stp",
        "tif",
        "trigger",
        "visible",
    )

    def __init__(
        self,
        order_id: int,
        account: int,
        side: int,
        kind: int,
        price: int,
        trigger: int,
        leaves: int,
        peak: int,
        tif: int,
        expire_ts: int,
        stp: int,
        post_only: bool,
        reduce_only: bool,
        seq: int,
    ) -> None:
        # The enums are taken and kept as plain `int`s (a `Side` value and so on; a member is an int):
        # compiled with mypyc, an `int` attribute is a machine integer, and the hot path compares them
        # with module constants.
        self.order_id = order_id
        self.account = account
        self.side = side
        self.kind = kind
        self.price = price
        self.trigger = trigger
        self.leaves = leaves
        self.visible = leaves if peak == 0 or peak > leaves else peak
        self.peak = peak
        self.tif = tif
        self.expire_ts = expire_ts
        self.stp = stp
        self.post_only = post_only
        self.reduce_only = reduce_only
        self.seq = seq
        self.prev: Order | None = None
        self.next: Order | None = None
        self.level: Level | None = None

    def fields(self) -> list[int]:
        """Everything that decides the order's future, as integers: its snapshot and state-hash form."""
        return [
            self.order_id,
            self.account,
            int(self.side),
            int(self.kind),
            self.price,
            self.trigger,
            self.leaves,
            self.visible,
            self.peak,
            int(self.tif),
            self.expire_ts,
            int(self.stp),
            int(self.post_only),
            int(self.reduce_only),
            self.seq,
        ]

    @classmethod
    def from_fields(cls, f: list[int]) -> Order:
        """The inverse of `fields`."""
        order = cls(
            f[0], f[1], Side(f[2]), Kind(f[3]), f[4], f[5], f[6], f[8], Tif(f[9]), f[10], Stp(f[11]),
            bool(f[12]), bool(f[13]), f[14],
        )  # fmt: skip
        order.visible = f[7]
        return order


class Level:
    """The orders at one price, oldest first; `total` is the sum of their `leaves` (hidden lots included)."""

    __slots__ = ("head", "price", "tail", "total")

    def __init__(self, price: int) -> None:
        self.price = price
        self.head: Order | None = None
        self.tail: Order | None = None
        self.total = 0

    def orders(self) -> Iterator[Order]:
        """The level's orders in time priority."""
        order = self.head
        while order is not None:
            yield order
            order = order.next


class Book:
    """Both sides of one market's book, and an index of its resting orders by id."""

    __slots__ = ("keys", "levels", "orders")

    def __init__(self) -> None:
        # Lists indexed by side (0 buy, 1 sell), not tuples: compiled, a `tuple[...]` attribute is an
        # unboxed C struct, and indexing it with a variable side built a new Python tuple on every access.
        self.levels: list[dict[int, Level]] = [{}, {}]
        self.keys: list[list[int]] = [[], []]  # per side, ascending; the best level's key is last
        self.orders: dict[int, Order] = {}

    def best(self, side: int) -> Level | None:
        """The best level of `side` (highest bid, lowest ask), or None when that side is empty."""
        keys = self.keys[side]
        if not keys:
            return None
        return self.levels[side][keys[-1] if side == 0 else -keys[-1]]

    def add(self, order: Order) -> None:
        """Put `order` at the back of its price level, opening the level if needed."""
        side = order.side
        price = order.price
        levels = self.levels[side]
        level = levels.get(price)
        if level is None:
            level = levels[price] = Level(price)
            insort(self.keys[side], price if side == 0 else -price)
        tail = level.tail
        order.prev = tail
        order.next = None
        if tail is None:
            level.head = order
        else:
            tail.next = order
        level.tail = order
        level.total += order.leaves
        order.level = level
        self.orders[order.order_id] = order

    def remove(self, order: Order) -> None:
        """Take `order` out of its level (closing the level if it empties) and out of the index."""
        level = order.level
        assert level is not None
        prev, nxt = order.prev, order.next
        if prev is None:
            level.head = nxt
        else:
            prev.next = nxt
        if nxt is None:
            level.tail = prev
        else:
            nxt.prev = prev
        level.total -= order.leaves
        order.prev = order.next = order.level = None
        del self.orders[order.order_id]
        if level.head is None:
            side = order.side
            del self.levels[side][level.price]
            keys = self.keys[side]
            key = level.price if side == 0 else -level.price
            if keys[-1] == key:
                keys.pop()
            else:
                del keys[bisect_left(keys, key)]

    def side_levels(self, side: int) -> Iterator[Level]:
        """The levels of `side`, best first."""
        levels = self.levels[side]
        for key in reversed(self.keys[side]):
            yield levels[key if side == 0 else -key]
