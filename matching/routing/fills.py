"""What a venue answers: the fill of a side and a quantity, priced in the quote currency's minor units.

Every venue speaks the market's lots (`matching.markets.MarketSpec`) and the quote's ledger units (tUSD's
10^-6), whatever its own units, so the router compares like with like. A fill separates the parts of its
cost the router explains: `notional` (what the lots trade for before fees), `impact` (how much worse that
is than all lots at the venue's best price), `fee` and `gas` (what executing costs on top). `cost` is the
one number the router minimises: for a buy what the taker pays, for a sell minus what it keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from matching.engine import Side


class NoLiquidity(ValueError):
    """A venue, or all of them together, cannot fill the quantity asked on that side."""


def ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


@dataclass(frozen=True, slots=True)
class Fill:
    """`lots` traded at one venue: notional, price impact, fee and gas in quote minor units."""

    venue: str
    side: Side
    lots: int
    notional: int
    impact: int
    fee: int
    gas: int

    @property
    def cost(self) -> int:
        """The taker's cost: a buy pays notional + fee + gas; a sell keeps notional − fee − gas (negated)."""
        if self.side is Side.BUY:
            return self.notional + self.fee + self.gas
        return self.gas + self.fee - self.notional

    @property
    def average_price(self) -> Fraction:
        """Quote minor units per lot, fees excluded (exact)."""
        return Fraction(self.notional, self.lots)


class Venue(Protocol):
    """A source of liquidity: how many lots it can take on a side, and what a fill of `lots` would be."""

    @property
    def name(self) -> str: ...

    def capacity(self, side: Side) -> int:
        """The most lots a taker on `side` can trade here now (0: none)."""
        ...

    def quote(self, side: Side, lots: int) -> Fill:
        """The fill of `lots` (1..capacity) for a taker on `side`, without executing it."""
        ...
