"""The option venues the API serves: one `OptionVenue` per mode, opened on first use, closed with the app.

A venue's series are the listed ones (`config/options/series.yaml`), priced off the surface
(`config/options/surface.yaml`); both files are checked whole when the first venue opens, and a bad file
stops that venue from opening (its message names the file and the entry). The underlying's price is the
last trade of the same mode's TPW/tUSD spot book (`SpotIndex`): a sandbox venue is priced by the sandbox
book. Books live under `<matching_dir>/<mode>/options/<series id>/`; a sandbox series' market id (its
ledger accounts and references) gains `.sandbox`, as a sandbox spot market's does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path

from sqlalchemy import Engine

from api.orders.errors import MarketUnavailable
from matching.markets import MarketSpec
from matching.options_market.book import OptionBook
from matching.options_market.config import load_series, load_surface
from matching.options_market.expiry import Settled, settle_due
from matching.options_market.index import SpotIndex
from matching.options_market.venue import OptionVenue, wall_clock
from matching.spot.errors import MarketBusy
from matching.spot.market import SpotMarket
from payments.merchants.tenant import mode_of

VENUE_NAMES = {True: "options", False: "options.sandbox"}


@cache
def series_specs() -> dict[str, MarketSpec]:
    """The listed series' market specs (as clients name them), by series id (the file read once)."""
    return {series.id: series.spec() for series in load_series()}


class OptionVenues:
    """The open venues, by livemode; `spot(livemode)` gives the TPW/tUSD book that prices them."""

    def __init__(
        self,
        directory: Path,
        database: Engine,
        spot: Callable[[bool], SpotMarket],
        clock: Callable[[], int] = wall_clock,
    ) -> None:
        self.directory = directory
        self.database = database
        self.spot = spot
        self.clock = clock
        """The books' clock (µs): it stamps orders and says when a series has expired."""
        self._open: dict[bool, OptionVenue] = {}
        self._lock = threading.Lock()

    def venue(self, livemode: bool) -> OptionVenue:
        """The venue of this mode (opened now if it was not)."""
        with self._lock:
            if livemode not in self._open:
                try:
                    self._open[livemode] = self._open_venue(livemode)
                except MarketBusy as error:
                    raise MarketUnavailable(str(error)) from error
            return self._open[livemode]

    def _open_venue(self, livemode: bool) -> OptionVenue:
        return OptionVenue.open(
            VENUE_NAMES[livemode],
            load_series(),
            self.directory / mode_of(livemode) / "options",
            self.database,
            load_surface(),
            SpotIndex(self.spot(livemode)),
            clock=self.clock,
            suffix="" if livemode else ".sandbox",
        )

    def book(self, series_id: str, livemode: bool) -> OptionBook | None:
        """The book of `series_id` in this mode, None if no such series is listed."""
        if series_id not in series_specs():
            return None
        return self.venue(livemode).books[series_id]

    def settle_due(self) -> list[Settled]:
        """Settle every expired series of the venues open now (a periodic round)."""
        with self._lock:
            venues = list(self._open.values())
        return [settled for venue in venues for settled in settle_due(venue)]

    def close(self) -> None:
        with self._lock:
            for venue in self._open.values():
                venue.close()
            self._open.clear()
