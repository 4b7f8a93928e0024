"""Margin for an account's option positions by a scenario scan, in the manner of CME's SPAN.

The scan revalues the whole portfolio (every series the account holds, signed lots, long > 0) under
scenarios: the underlying moved by k·`price_move`/`price_steps` for k = −steps..steps (±15 % in 5 % steps
by default), each with the surface's volatility as it is, scaled up by `vol_move` and scaled down by it.
In each scenario the portfolio's liability is minus its value (what closing it would cost: a short owes
the option's value, a long's value offsets what the account owes on other series). The requirement is:

    max(worst liability over the scenarios, short-option minimum), never below zero

The worst liability is SPAN's "net option value + scan risk" in one figure: the short positions' current
value (the premium it would take to buy them back) plus the worst move against them. The short-option
minimum (`short_minimum` × the underlying's price per short contract, 5 % by default) holds far
out-of-the-money shorts, which the scan values near zero, to a floor: a move beyond the scan's range is
what they are exposed to. Open sell orders count as filled (the check runs before an order that could
increase a short is accepted), open buys do not (they can only reduce what the account owes).

The result is in QTU ledger units, rounded up (the account owes it: `marks.owed_units`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from matching.options.decimal_context import CONTEXT, ZERO
from matching.options.marks import owed_units
from matching.options.pricing import price as option_price
from matching.options.quote import model_inputs
from matching.options.series import OptionSeries
from matching.options.surface import VolSurface


@dataclass(frozen=True, slots=True)
class ScanParams:
    """The scan's ranges. `rate` is the Black-Scholes rate used for every valuation."""

    price_move: Decimal = Decimal("0.15")
    price_steps: int = 3
    vol_move: Decimal = Decimal("0.25")
    short_minimum: Decimal = Decimal("0.05")
    rate: Decimal = Decimal("0.05")


@dataclass(frozen=True, slots=True)
class Margin:
    """An account's requirement and how it was reached (all QTU units; moves as fractions)."""

    requirement: int
    worst_liability: int
    short_minimum: int
    worst_price_move: Decimal = ZERO
    worst_vol_move: Decimal = ZERO
    scenarios: int = field(default=0)


def scenarios(params: ScanParams) -> list[tuple[Decimal, Decimal]]:
    """(price move, volatility move) pairs, e.g. (−0.15, +0.25)."""
    c = CONTEXT
    step = c.divide(params.price_move, Decimal(params.price_steps))
    moves = [c.multiply(Decimal(k), step) for k in range(-params.price_steps, params.price_steps + 1)]
    return [(move, vol) for move in moves for vol in (ZERO, params.vol_move, c.minus(params.vol_move))]


def requirement(
    holdings: Mapping[OptionSeries, int], spot: Decimal, now_us: int, surface: VolSurface, params: ScanParams
) -> Margin:
    """The margin `holdings` (series -> signed lots) need at underlying price `spot` and time `now_us`."""
    c = CONTEXT
    held = {series: lots for series, lots in holdings.items() if lots}
    short_lots = sum((-lots * series.contract_units for series, lots in held.items() if lots < 0), 0)
    minimum = owed_units(c.multiply(c.multiply(params.short_minimum, spot), Decimal(short_lots)))
    if not held:
        return Margin(0, 0, 0)
    worst, worst_case = None, (ZERO, ZERO)
    cases = scenarios(params)
    for price_move, vol_move in cases:
        moved = c.multiply(spot, c.add(Decimal(1), price_move))
        liability = ZERO
        for series, lots in held.items():
            price = option_price(model_inputs(series, moved, now_us, surface, params.rate, vol_move))
            liability = c.subtract(liability, c.multiply(Decimal(lots), series.units_per_contract(price)))
        if worst is None or liability > worst:
            worst, worst_case = liability, (price_move, vol_move)
    assert worst is not None
    worst_units = max(owed_units(worst), 0)
    return Margin(max(worst_units, minimum), worst_units, minimum, *worst_case, scenarios=len(cases))
