"""Turning an `IndexSource`'s price into the options' units, and an index read from the spot book.

`matching.perpetuals.index.IndexSource` states TPW's price as an exact Fraction of tUSD minor units per
TPW wei (10^-18 TPW), as the devnet pool does. The options price in tUSD per TPW (Decimal) and settle in
QTU units per TPW (exact Fraction): both are that price times 10^18 wei per TPW (and divided by 10^6 for
tUSD). `SpotIndex` is a source over the spot book TPW/tUSD of the same mode: its last trade, which the
API uses (the AMM source, `AmmIndexSource`, plugs into the same place once a service polls the pool).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Final

from matching.options.decimal_context import CONTEXT
from matching.options_market.errors import NoIndexPrice
from matching.perpetuals.index import IndexSource
from matching.spot.market import SpotMarket

WEI_PER_TPW: Final = 10**18
QTU_PER_TUSD: Final = 10**6
TPW_UNITS_PER_TPW: Final = 10**6  # the ledger's TPW unit is 10^-6 TPW


def settlement_price(source: IndexSource) -> Fraction:
    """The index as QTU units per one TPW, exact."""
    price = source.price()
    if price <= 0:
        raise NoIndexPrice("the index source stated a price that is not positive")
    return price * WEI_PER_TPW


def underlying(source: IndexSource) -> Decimal:
    """The index in tUSD per TPW, under the options' decimal context."""
    price = settlement_price(source)
    return CONTEXT.divide(Decimal(price.numerator), Decimal(price.denominator * QTU_PER_TUSD))


class SpotIndex:
    """The last trade of a spot book as an `IndexSource` (tUSD units per TPW wei)."""

    def __init__(self, spot: SpotMarket) -> None:
        self.spot = spot

    def price(self) -> Fraction:
        last = self.spot.tape.recent(1)
        if not last:
            raise NoIndexPrice(
                f"{self.spot.market.id} has not traded yet: the options have no underlying price"
            )
        market = self.spot.market
        per_lot = market.notional(1, last[0].price)  # QTU units for one lot at the last price
        return Fraction(per_lot * TPW_UNITS_PER_TPW, market.base_per_lot * WEI_PER_TPW)
