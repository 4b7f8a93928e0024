"""The index: an outside price in exact fractions, turned into ticks and combined with the book.

The rule (documented in docs/matching.md): index = median(AMM price, best bid, best ask) when the book
has both sides, else the AMM price alone. The median of those three is the AMM price clamped into the
book's spread: while the pool agrees with the book the pool decides; a pool pushed far away (a flash
swap, a thin pool) cannot drag the index beyond the book's own best prices, and an empty or one-sided
book (easy to fake with one order) cannot move the index at all. One source on its own is what a
manipulator would attack; this pairing needs both moved at once.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple, Protocol

from matching.perpetuals.errors import PerpetualError
from matching.perpetuals.spec import PerpSpec
from matching.perpetuals.units import median3


class IndexSource(Protocol):
    """Anything that states TPW's outside price: tUSD minor units per TPW base unit, exact."""

    def price(self) -> Fraction: ...


class BookQuote(NamedTuple):
    """The book's best bid and ask in ticks (0: that side is empty) and its last trade price (0: none)."""

    bid: int = 0
    ask: int = 0
    last: int = 0

    @property
    def two_sided(self) -> bool:
        return self.bid > 0 and self.ask > 0


def to_ticks(price: Fraction, spec: PerpSpec) -> int:
    """An exact outside price in ticks, rounded to the nearest tick (exact halves to the even tick, as
    `round` on a Fraction does, so the rule has no bias and no float). Never below one tick."""
    if price <= 0:
        raise PerpetualError("an index price must be positive")
    return max(1, round(price / spec.tick_size))


def combine_index(outside: int, book: BookQuote) -> int:
    """The index in ticks from the outside price in ticks and the book's quote (see the module rule)."""
    if not book.two_sided:
        return outside
    return median3(outside, book.bid, book.ask)
