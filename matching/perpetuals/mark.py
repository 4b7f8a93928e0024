"""Fair-price marking: the price positions are valued at, for margin and liquidation.

Marking at the last trade would let one trade in a thin book liquidate everyone; marking at the index
alone would ignore a persistent, real basis. So, as Binance and BitMEX do, the mark is the book's fair
price held within a band around the index: fair = median(best bid, best ask, last trade) when the book is
two-sided (one stray trade or one far order cannot move it), else the index; then
mark = clamp(fair, ⌈index·(1 − band)⌉, ⌊index·(1 + band)⌋). The bounds round inwards so the mark is
never outside the band, and the band is never empty (the index itself is always inside).
"""

from __future__ import annotations

from matching.perpetuals.errors import PerpetualError
from matching.perpetuals.index.source import BookQuote
from matching.perpetuals.spec import PerpSpec
from matching.perpetuals.units import BPS, ceil_div, clamp, median3


def fair_price(index: int, book: BookQuote) -> int:
    """The book's own estimate of the price, in ticks: median(bid, ask, last), else the index."""
    if not book.two_sided:
        return index
    last = book.last if book.last > 0 else index
    return median3(book.bid, book.ask, last)


def mark_band(index: int, spec: PerpSpec) -> tuple[int, int]:
    """The lowest and highest mark allowed around `index` (ticks, inclusive)."""
    lo = max(1, ceil_div(index * (BPS - spec.mark_band_bps), BPS))
    hi = index * (BPS + spec.mark_band_bps) // BPS
    return min(lo, index), max(hi, index)


def mark_price(index: int, book: BookQuote, spec: PerpSpec) -> int:
    """The mark in ticks: the fair price clamped into the band around the index."""
    if index <= 0:
        raise PerpetualError("the index must be positive")
    lo, hi = mark_band(index, spec)
    return clamp(fair_price(index, book), lo, hi)
