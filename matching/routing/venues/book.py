"""A venue made of price levels: the internal book's depth (`SpotMarket.depth`), and the ladder that the
replayed outside venue's snapshots are too.

A taker walks the opposite side best first, as the engine matches it: `min(remaining, level's lots)` at
each level's price. The fee is the venue's taker rate on the notional, rounded up (the book's own rates
are exact at its ticks and lots, `MarketSpec` checks that; an outside venue's need not be). No gas: the
book settles in the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from matching.engine import Side
from matching.markets.spec import BPS_DENOMINATOR, MarketSpec
from matching.routing.fills import Fill, NoLiquidity, ceil_div

Level = tuple[int, int]
"""(price in ticks, lots)."""


@dataclass(frozen=True, slots=True)
class Ladder:
    """Both sides of a book, best level first: `bids` highest first, `asks` lowest first."""

    bids: Sequence[Level] = ()
    asks: Sequence[Level] = ()

    def opposite(self, side: Side) -> Sequence[Level]:
        """The levels a taker on `side` trades against."""
        return self.asks if side is Side.BUY else self.bids

    def capacity(self, side: Side) -> int:
        return sum(lots for _, lots in self.opposite(side))

    def within(self, side: Side, limit: int | None) -> Ladder:
        """The levels a taker on `side` with limit `limit` (ticks; None: any) may trade, on their side."""
        levels = [
            (price, lots)
            for price, lots in self.opposite(side)
            if limit is None or (price <= limit if side is Side.BUY else price >= limit)
        ]
        return Ladder(asks=levels) if side is Side.BUY else Ladder(bids=levels)

    def walk(self, side: Side, lots: int) -> tuple[int, int]:
        """(Σ price·lots, best price) in ticks·lots for `lots` taken from the opposite side."""
        levels = self.opposite(side)
        remaining, total = lots, 0
        for price, shown in levels:
            if remaining == 0:
                break
            taken = min(remaining, shown)
            total += taken * price
            remaining -= taken
        if remaining or lots <= 0:
            raise NoLiquidity(f"{lots} lots is more than the {self.capacity(side)} the levels hold")
        return total, levels[0][0]


@dataclass(frozen=True, slots=True)
class BookVenue:
    """A venue quoting from a ladder of `market`'s ticks and lots, with a taker fee and a fixed gas cost."""

    name: str
    market: MarketSpec
    ladder: Ladder
    fee_bps: int
    gas: int = 0
    _capacity: dict[Side, int] = field(default_factory=dict, compare=False, repr=False)

    def capacity(self, side: Side) -> int:
        if side not in self._capacity:
            self._capacity[side] = self.ladder.capacity(side)
        return self._capacity[side]

    def quote(self, side: Side, lots: int) -> Fill:
        ticks_lots, best = self.ladder.walk(side, lots)
        notional = ticks_lots * self.market.quote_per_tick_lot
        at_best = lots * best * self.market.quote_per_tick_lot
        impact = notional - at_best if side is Side.BUY else at_best - notional
        fee = ceil_div(notional * self.fee_bps, BPS_DENOMINATOR)
        return Fill(self.name, side, lots, notional, impact, fee, self.gas)
