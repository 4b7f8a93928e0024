"""The perpetual markets the API serves: one `PerpMarket` per mode (TPW-PERP, and TPW-PERP.sandbox for
sandbox keys: its own journal, margin, fund and references), opened on first use, and the price loop.

The price loop (`price_round`) is one of the API's periodic rounds (`api.periodic`): it reads the
outside price from the index source (the devnet's Uniswap V2 pair, `AmmIndexSource`) and runs a price
round on each open market: new index and mark, margin checks, liquidation rounds, funding when due.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Final

from sqlalchemy import Engine

from api.orders.errors import MarketUnavailable
from matching.perp_market.market import PerpMarket
from matching.perpetuals.index.source import IndexSource
from matching.perpetuals.spec import PerpSpec
from matching.spot.errors import MarketBusy
from payments.merchants.tenant import mode_of

TPW_PERP: Final = PerpSpec()
PERP_MARKETS: Final = frozenset({TPW_PERP.symbol})


def perp_spec(livemode: bool) -> PerpSpec:
    """TPW-PERP as a mode trades it: the sandbox copy has ids of its own."""
    return TPW_PERP if livemode else dataclasses.replace(TPW_PERP, symbol=f"{TPW_PERP.symbol}.sandbox")


class PerpMarkets:
    """The open perpetual markets, by livemode; closed with the app."""

    def __init__(self, directory: Path, database: Engine) -> None:
        self.directory = directory
        self.database = database
        self._open: dict[bool, PerpMarket] = {}
        self._lock = threading.Lock()

    def get(self, livemode: bool) -> PerpMarket:
        with self._lock:
            if livemode not in self._open:
                directory = self.directory / mode_of(livemode) / TPW_PERP.symbol
                try:
                    self._open[livemode] = PerpMarket.open(perp_spec(livemode), directory, self.database)
                except MarketBusy as error:
                    raise MarketUnavailable(str(error)) from error
            return self._open[livemode]

    def price_round(self, source: IndexSource | None) -> int:
        """One price round on both modes' markets (opened now if they were not: a restarted API must keep
        marking and liquidating before anyone calls) from `source`; how many ran (0 without a source)."""
        if source is None:
            return 0
        for livemode in (True, False):
            self.get(livemode).price_from(source)
        return 2

    def close(self) -> None:
        with self._lock:
            for market in self._open.values():
                market.close()
            self._open.clear()
