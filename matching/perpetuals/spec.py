"""The TPW-PERP contract: what a lot and a tick are worth, and every risk and funding parameter.

One tick times one lot is `multiplier` tUSD minor units, so a position's value at a price is the exact
integer `lots × ticks × multiplier`. The AMM's price is a fraction of base units (tUSD minor units per TPW
wei); `tick_size` is one tick in that unit, and `lot_base_units × tick_size` must be the integer
multiplier, which `__post_init__` checks, so no conversion ever rounds money.

The defaults follow the seed's advice to keep leverage low: 5x at most in the first tier, less for big
positions (a big position takes longer to unwind, so it must carry more margin), as BitMEX's risk limits
and Binance's leverage brackets do.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from matching.perpetuals.errors import SpecError
from matching.perpetuals.units import BPS, PPM


@dataclass(frozen=True)
class Tier:
    """Margin for a position of up to `max_lots` lots (0: no upper bound, the last tier).

    The whole position is margined at the tier its size falls in (BitMEX's risk limit), so requirements
    never fall as a position grows. The tier's leverage cap is BPS // imr_bps.
    """

    max_lots: int
    imr_bps: int
    mmr_bps: int

    @property
    def max_leverage(self) -> int:
        return BPS // self.imr_bps


DEFAULT_TIERS: tuple[Tier, ...] = (
    Tier(max_lots=100_000, imr_bps=2_000, mmr_bps=500),  # 5x, 5 % maintenance
    Tier(max_lots=500_000, imr_bps=2_500, mmr_bps=1_000),  # 4x, 10 %
    Tier(max_lots=0, imr_bps=5_000, mmr_bps=2_500),  # 2x, 25 %
)


@dataclass(frozen=True)
class PerpSpec:
    """Everything that defines the market; frozen, so a running market's rules cannot drift."""

    symbol: str = "TPW-PERP"
    lot_base_units: int = 10**16
    """One lot: 0.01 TPW (18 decimals)."""
    tick_size: Fraction = Fraction(100, 10**18)
    """One tick: 0.0001 tUSD (6 decimals) per TPW, i.e. 100 tUSD minor units per 10**18 TPW wei."""
    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    default_leverage: int = 5
    maker_fee_bps: int = 2
    taker_fee_bps: int = 5
    liquidation_fee_bps: int = 50
    """Charged on the notional a liquidation closes, paid to the insurance fund, never more than the
    account's equity (it cannot push an account below zero)."""
    margin_call_bps: int = 15_000
    """A margin call when equity is under 150 % of maintenance (and not yet under maintenance)."""
    mark_band_bps: int = 50
    """The mark never strays more than 0.5 % from the index."""
    funding_interval: int = 8 * 3600 * 1_000_000
    """Eight hours in the book's clock (microseconds)."""
    interest_ppm: int = 100
    """The interest component: 0.01 % per interval (BitMEX's and Binance's default)."""
    premium_clamp_ppm: int = 500
    """interest − premium is clamped to ±0.05 %, so a small premium funds at exactly the interest rate."""
    funding_cap_ppm: int = 7_500
    """The funding rate never exceeds ±0.75 % per interval (below the first tier's maintenance)."""
    unwind_max_lots: int = 10_000
    """The most of the insurance fund's taken-over position offered to the book in one price round
    (100 TPW): the fund unwinds gradually, so its own selling does not crash the price it sells at."""
    unwind_band_bps: int = 100
    """How far from the mark an unwind order may trade (1 %): worse than that it waits for a later round
    rather than dump into a thin book."""

    def __post_init__(self) -> None:
        multiplier = self.lot_base_units * self.tick_size
        if multiplier.denominator != 1 or multiplier <= 0:
            raise SpecError("lot_base_units × tick_size must be a positive whole number of minor units")
        if not self.tiers or self.tiers[-1].max_lots != 0:
            raise SpecError("the last tier must be unbounded (max_lots 0)")
        bounds = [t.max_lots for t in self.tiers[:-1]]
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            raise SpecError("tiers must be ordered by max_lots")
        for lower, upper in zip(self.tiers, self.tiers[1:], strict=False):
            if upper.imr_bps < lower.imr_bps or upper.mmr_bps < lower.mmr_bps:
                raise SpecError("margin rates must not fall as a position grows")
        for t in self.tiers:
            if not 0 < t.mmr_bps < t.imr_bps <= BPS:
                raise SpecError("each tier needs 0 < maintenance < initial <= 100 %")
        if self.liquidation_fee_bps >= self.tiers[0].mmr_bps:
            raise SpecError("the liquidation fee must be below maintenance (partial sizing relies on it)")
        if not 1 <= self.default_leverage <= self.tiers[0].max_leverage:
            raise SpecError("the default leverage must be within the first tier's cap")
        if not 0 <= self.funding_cap_ppm < PPM:
            raise SpecError("the funding cap must be below 100 %")
        if self.unwind_max_lots <= 0:
            raise SpecError("unwind_max_lots must be positive")
        if not 0 <= self.unwind_band_bps < BPS:
            raise SpecError("the unwind band must be below 100 %")

    @property
    def multiplier(self) -> int:
        """tUSD minor units per lot per tick."""
        return int(self.lot_base_units * self.tick_size)

    def value(self, lots: int, price: int) -> int:
        """The signed value of `lots` at `price` ticks, in tUSD minor units (exact)."""
        return lots * price * self.multiplier

    def tier(self, lots: int) -> Tier:
        """The tier a position of |lots| falls in."""
        size = abs(lots)
        for t in self.tiers:
            if t.max_lots == 0 or size <= t.max_lots:
                return t
        return self.tiers[-1]  # unreachable: the last tier is unbounded
