"""The limits an order is checked against, per market: what `config/pretrade.yaml` says once read.

Quantities are the book's lots, notionals quote minor units (the ledger's), bands basis points of the
reference price. A market the file does not list takes the defaults; a listed one overrides any of them.
A key may be a pattern (`fnmatch`: `*`, `?`, `[CP]`) for markets that come and go under one scheme, such
as the option series; a market's own key wins over a pattern, and the first matching pattern over later
ones.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Final

BPS: Final = 10_000


@dataclass(frozen=True, slots=True)
class MarketLimits:
    """One market's limits.

    `max_position_lots` bounds an account's net exposure in the market, open orders included: the
    position if every open buy filled, and if every open sell filled, must both stay within it.
    `price_band_bps` keeps a limit price within that many bps of the reference (last trade, else the mid,
    or the index for a derivative); `market_protection_bps` is how far past the reference a market
    order may trade (its protection price). `cooldown_seconds` after a liquidation in the market, the
    account may not open or increase a position there. `derivative` marks a market whose position
    changes above `step_up_notional` (quote minor units) need the risk engine's step-up."""

    max_position_lots: int
    max_order_lots: int
    max_order_notional: int
    price_band_bps: int
    market_protection_bps: int
    cooldown_seconds: int
    derivative: bool = False
    step_up_notional: int | None = None


@dataclass(frozen=True, slots=True)
class OrderRate:
    """Each API key's order bucket: `per_second` orders refilled, `burst` saved up."""

    per_second: float
    burst: int


@dataclass(frozen=True, slots=True)
class PretradeConfig:
    """The whole file: defaults, per-market overrides, the per-key order rate, and where it came from."""

    path: str
    digest: str
    defaults: MarketLimits
    rate: OrderRate
    markets: Mapping[str, MarketLimits] = field(default_factory=dict)

    def limits(self, market: str) -> MarketLimits:
        """The limits `market` trades under: its own entry, else the first pattern it matches, else the
        defaults."""
        if market in self.markets:
            return self.markets[market]
        for key, limits in self.markets.items():
            if any(c in key for c in "*?[") and fnmatchcase(market, key):
                return limits
        return self.defaults
