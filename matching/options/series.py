"""An option series: what one order book trades, and the `MarketSpec` its ticks and lots are.

A series is European and cash-settled on TPW, quoted in tUSD: a strike, an expiry instant, a right, and
a contract size (TPW ledger units per contract, 10^6 = 1 TPW). Its id spells all of it, e.g.
`TPW-20261231-2.5-C` (underlying, expiry date UTC, strike in tUSD, C or P), and is the market id an order
names. The premium is quoted like spot: tUSD per one TPW, in ticks of 0.01; a lot is one contract. So a
series is a `MarketSpec` with the spot market's units (lot 1 TPW, one lot at one tick = 10,000 QTU units)
and whole-unit fees, and a trade of q contracts at p ticks moves a premium of exactly p·q·10,000 QTU units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Final

from matching.markets import MarketSpec
from matching.markets.spec import units_text
from matching.options.decimal_context import CONTEXT
from matching.options.pricing import Right, intrinsic

UNDERLYING: Final = "TPW"
QUOTE: Final = "QTU"
UNIT_DECIMALS: Final = 6  # both TPW and QTU ledger units are 10^-6 of the currency
TICK: Final = Decimal("0.01")  # tUSD per TPW
QTU_PER_TICK: Final = 10_000  # QTU units per TPW in one tick
MICROS_PER_YEAR: Final = Decimal(365 * 86_400 * 1_000_000)


@dataclass(frozen=True, slots=True)
class OptionSeries:
    """One series. `strike_ticks` is in the premium's ticks (0.01 tUSD per TPW); `expiry_us` is the book's
    clock (microseconds since the epoch) at which trading stops and the series settles."""

    strike_ticks: int
    expiry_us: int
    right: Right
    contract_units: int = 1_000_000
    maker_fee_bps: int = 10
    taker_fee_bps: int = 20

    def __post_init__(self) -> None:
        if self.strike_ticks <= 0 or self.contract_units <= 0 or self.contract_units % 100:
            raise ValueError(
                "a series needs a positive strike and a contract size in whole hundreds of TPW units"
            )

    @property
    def id(self) -> str:
        day = datetime.fromtimestamp(self.expiry_us // 1_000_000, UTC).strftime("%Y%m%d")
        strike = units_text(self.strike_ticks, 2)
        return f"{UNDERLYING}-{day}-{strike}-{self.right.value[0].upper()}"

    def spec(self) -> MarketSpec:
        """The book's units, its id the series id: a lot is one contract, a tick 0.01 tUSD per TPW."""
        return MarketSpec(
            id=self.id,
            base=UNDERLYING,
            quote=QUOTE,
            base_decimals=UNIT_DECIMALS,
            quote_decimals=UNIT_DECIMALS,
            base_per_lot=self.contract_units,
            quote_per_tick_lot=self.contract_units // 100,
            maker_fee_bps=self.maker_fee_bps,
            taker_fee_bps=self.taker_fee_bps,
        )

    @property
    def tick(self) -> Decimal:
        """One tick in tUSD per TPW."""
        return TICK

    @property
    def strike(self) -> Decimal:
        """The strike in tUSD per TPW."""
        return CONTEXT.multiply(Decimal(self.strike_ticks), self.tick)

    def years_left(self, now_us: int) -> Decimal:
        """Years (of 365 days) from `now_us` to expiry; ≤ 0 once expired."""
        return CONTEXT.divide(Decimal(self.expiry_us - now_us), MICROS_PER_YEAR)

    def units_per_contract(self, price: Decimal) -> Decimal:
        """A price in tUSD per TPW as QTU ledger units per contract."""
        return CONTEXT.multiply(price, Decimal(self.contract_units))

    def intrinsic_units(self, settlement: Fraction) -> int:
        """What one contract pays at expiry at `settlement` (QTU units per one TPW, exact), in QTU units,
        rounded down (the payer never pays a fraction the receiver cannot hold)."""
        strike = Fraction(self.strike_ticks * QTU_PER_TICK)
        gain = settlement - strike if self.right is Right.CALL else strike - settlement
        if gain <= 0:
            return 0
        return int(gain * self.contract_units // 10**UNIT_DECIMALS)

    def payoff(self, spot: Decimal) -> Decimal:
        """Intrinsic value at `spot` in tUSD per TPW."""
        return intrinsic(self.right, spot, self.strike)


class SeriesError(ValueError):
    """A series list that cannot be used; the message names the file and the entry."""


def parse_series(data: Any, source: str) -> list[OptionSeries]:
    """The series in `data` (the parsed series file), checked whole; `source` names the file in errors."""
    if not isinstance(data, dict) or not isinstance(data.get("series"), list):
        raise SeriesError(f"{source}: series: must be a list of series")
    listed: list[OptionSeries] = []
    for i, entry in enumerate(data["series"]):
        where = f"{source}: series[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"expiry", "strike", "right"}:
            raise SeriesError(f"{where}: needs exactly expiry, strike and right")
        try:
            expiry = datetime.fromisoformat(str(entry["expiry"]).replace("Z", "+00:00"))
        except ValueError:
            raise SeriesError(f"{where}.expiry: not an ISO 8601 instant") from None
        if expiry.tzinfo is None:
            raise SeriesError(f"{where}.expiry: needs a time zone (Z for UTC)")
        strike = entry["strike"]
        try:
            ticks = Decimal(strike) / TICK if isinstance(strike, str) else None
        except InvalidOperation:
            ticks = None
        if ticks is None or not ticks.is_finite() or ticks <= 0 or ticks != ticks.to_integral_value():
            raise SeriesError(f"{where}.strike: must be a quoted positive decimal in whole 0.01 tUSD")
        if entry["right"] not in ("call", "put"):
            raise SeriesError(f"{where}.right: must be call or put")
        series = OptionSeries(int(ticks), int(expiry.timestamp()) * 1_000_000, Right(entry["right"]))
        if any(other.id == series.id for other in listed):
            raise SeriesError(f"{where}: {series.id} is listed twice")
        listed.append(series)
    return listed
