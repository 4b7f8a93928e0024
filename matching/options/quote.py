"""A series' model value now: the volatility the surface gives it, the Black-Scholes valuation, its mark.

The surface is read at the series' moneyness K/S and its time left; the mark is the model price in whole
ticks (`matching.options.marks.to_ticks`: nearest, halves up). The book's own prices never feed the mark:
a thin option book is easy to print a trade on, and margin must not follow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from matching.options.decimal_context import CONTEXT
from matching.options.marks import to_ticks
from matching.options.pricing import Inputs, Valuation, value
from matching.options.series import TICK, OptionSeries
from matching.options.surface import VolSurface


@dataclass(frozen=True, slots=True)
class SeriesQuote:
    """The model's view of one series at one instant."""

    vol: Decimal
    valuation: Valuation
    mark_ticks: int


def model_inputs(
    series: OptionSeries,
    spot: Decimal,
    now_us: int,
    surface: VolSurface,
    rate: Decimal,
    vol_shift: Decimal = Decimal(0),
) -> Inputs:
    """Black-Scholes inputs at `spot`, the surface's volatility scaled by (1 + `vol_shift`) (a margin
    scenario: `margin` prices these with `pricing.price`)."""
    years = series.years_left(now_us)
    vol = surface.vol(CONTEXT.divide(series.strike, spot), years)
    shifted = CONTEXT.multiply(vol, CONTEXT.add(Decimal(1), vol_shift))
    return Inputs(series.right, spot, series.strike, rate, shifted, years)


def quote(
    series: OptionSeries, spot: Decimal, now_us: int, surface: VolSurface, rate: Decimal
) -> SeriesQuote:
    """The series' volatility, valuation and mark at `spot` and `now_us`."""
    inputs = model_inputs(series, spot, now_us, surface, rate)
    valuation = value(inputs)
    return SeriesQuote(inputs.vol, valuation, to_ticks(valuation.price, TICK))
