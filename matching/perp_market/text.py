"""TPW-PERP's decimal strings, read and written exactly: prices in tUSD per TPW, sizes in TPW, money in
tUSD. A price off the tick, a size off the lot or an amount below the tUSD unit is refused naming its
field (`MarketSpecError`), never rounded."""

from __future__ import annotations

from fractions import Fraction
from typing import Final

from matching.markets.spec import MarketSpecError, units_text, whole_steps
from matching.perpetuals.spec import PerpSpec

TPW_DECIMALS: Final = 18
TUSD_DECIMALS: Final = 6
MAX_LOTS: Final = 10**9
MAX_TICKS: Final = 10**9
MAX_AMOUNT: Final = 10**15
"""A billion tUSD: far below int64 for every product the market forms."""


def _tick(spec: PerpSpec) -> Fraction:
    """One tick in tUSD per TPW."""
    return spec.tick_size * 10**TPW_DECIMALS / 10**TUSD_DECIMALS


def _lot(spec: PerpSpec) -> Fraction:
    """One lot in TPW."""
    return Fraction(spec.lot_base_units, 10**TPW_DECIMALS)


def price_ticks(spec: PerpSpec, text: str, field: str = "price") -> int:
    tick = _tick(spec)
    return whole_steps(text, field, tick.numerator, tick.denominator, MAX_TICKS)


def qty_lots(spec: PerpSpec, text: str, field: str = "qty") -> int:
    lot = _lot(spec)
    return whole_steps(text, field, lot.numerator, lot.denominator, MAX_LOTS)


def amount_units(text: str, field: str = "amount") -> int:
    return whole_steps(text, field, 1, 10**TUSD_DECIMALS, MAX_AMOUNT)


def _fraction_text(value: Fraction) -> str:
    if 10**TPW_DECIMALS % value.denominator:
        raise MarketSpecError("not a decimal")  # pragma: no cover - ticks and lots are decimal steps
    return units_text(value.numerator * (10**TPW_DECIMALS // value.denominator), TPW_DECIMALS)


def price_text(spec: PerpSpec, ticks: int) -> str:
    return _fraction_text(ticks * _tick(spec))


def qty_text(spec: PerpSpec, lots: int) -> str:
    """Signed lots as TPW ("-1.5" for a short)."""
    text = _fraction_text(abs(lots) * _lot(spec))
    return f"-{text}" if lots < 0 else text


def money_text(units: int) -> str:
    """Signed tUSD minor units as tUSD."""
    text = units_text(abs(units), TUSD_DECIMALS)
    return f"-{text}" if units < 0 else text


class PerpUnits:
    """The market's decimal strings as the orders API reads and writes a market's (`MarketSpec`'s names:
    `price_ticks`, `qty_lots`, `price_text`, `qty_text`), so one order path serves spot and perpetual."""

    def __init__(self, spec: PerpSpec) -> None:
        self.spec = spec
        self.id = spec.symbol

    def price_ticks(self, text: str, field: str = "price") -> int:
        return price_ticks(self.spec, text, field)

    def qty_lots(self, text: str, field: str = "qty") -> int:
        return qty_lots(self.spec, text, field)

    def price_text(self, ticks: int) -> str:
        return price_text(self.spec, ticks)

    def qty_text(self, lots: int) -> str:
        return qty_text(self.spec, lots)

    def notional(self, lots: int, price: int) -> int:
        """What `lots` are worth at `price` ticks, in tUSD minor units (the pre-trade checks' measure)."""
        return self.spec.value(lots, price)
