"""The spot markets the API serves: one `SpotMarket` per market and mode, opened on first use.

A sandbox key trades on the sandbox copy of a market (paper trading): its own journal under
`<matching_dir>/sandbox/`, its own escrow and fees accounts (the market id gains `.sandbox`, and every
account and reference derives from it), and traders whose ledger accounts derive from (merchant, mode). So
a sandbox order can never reach a live balance, and the two books never meet.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from api.options.runtime import OptionVenues, series_specs
from api.orders.errors import MarketUnavailable
from api.perps.runtime import PERP_MARKETS, PerpMarkets
from matching.markets import TPW_TUSD, MarketSpec, markets
from matching.options_market.venue import wall_clock
from matching.perp_market.market import PerpMarket
from matching.spot.errors import MarketBusy
from matching.spot.market import SpotMarket
from payments.merchants.tenant import Tenant, mode_of


def trader_of(tenant: Tenant) -> int:
    """The engine's account number of a merchant in a mode (62 bits of a digest: no table to keep)."""
    digest = hashlib.sha256(
        f"tpwallet-trader|{tenant.merchant_id}|{mode_of(tenant.livemode)}".encode()
    ).digest()
    return (int.from_bytes(digest[:8], "big") >> 2) or 1


def spec_for(market: MarketSpec, livemode: bool) -> MarketSpec:
    """The market as a mode trades it: the sandbox copy has ids of its own."""
    return market if livemode else dataclasses.replace(market, id=f"{market.id}.sandbox")


def market_spec(market_id: str) -> MarketSpec | None:
    """The spec of a market orders may name: a spot market or a listed option series."""
    return markets().get(market_id) or series_specs().get(market_id)


class SpotMarkets:
    """The open markets, by (market id, livemode); closed with the app."""

    def __init__(
        self,
        directory: Path,
        database: Engine,
        perps: PerpMarkets | None = None,
        options_clock: Callable[[], int] = wall_clock,
    ) -> None:
        self.directory = directory
        self.database = database
        self.perps = perps or PerpMarkets(directory, database)
        self._open: dict[tuple[str, bool], SpotMarket] = {}
        self._lock = threading.Lock()
        self.options = OptionVenues(directory, database, self._index_book, options_clock)

    def _index_book(self, livemode: bool) -> SpotMarket:
        market = self.get(TPW_TUSD.id, livemode)
        assert market is not None, "TPW/tUSD is always listed"
        return market

    def book(self, market_id: str, livemode: bool) -> SpotMarket | None:
        """Where an order on `market_id` goes, by the market's kind: a spot market or an option series."""
        return self.get(market_id, livemode) or self.options.book(market_id, livemode)

    def get(self, market_id: str, livemode: bool) -> SpotMarket | None:
        """The market `market_id` in this mode (opened now if it was not), None if there is no such market."""
        spec = markets().get(market_id)
        if spec is None:
            return None
        with self._lock:
            key = (market_id, livemode)
            if key not in self._open:
                directory = self.directory / mode_of(livemode) / market_id
                try:
                    self._open[key] = SpotMarket.open(spec_for(spec, livemode), directory, self.database)
                except MarketBusy as error:
                    raise MarketUnavailable(str(error)) from error
            return self._open[key]

    def order_market(self, market_id: str, livemode: bool) -> SpotMarket | PerpMarket | None:
        """The market an order names, spot or perpetual (both take `/v1/orders`' commands)."""
        if market_id in PERP_MARKETS:
            return self.perps.get(livemode)
        return self.book(market_id, livemode)

    def close(self) -> None:
        self.perps.close()
        self.options.close()
        with self._lock:
            for market in self._open.values():
                market.close()
            self._open.clear()
