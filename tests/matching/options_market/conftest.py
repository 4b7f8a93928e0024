"""Fixtures of the option venue's tests: a ledger on each backend, the spot book as the index, a clock the
test moves, and three funded traders."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from matching.engine import Kind, Place, Side, Tif
from matching.markets import TPW_TUSD
from matching.options.pricing import Right
from matching.options.series import OptionSeries
from matching.options_market import records
from matching.options_market.config import load_surface
from matching.options_market.index import SpotIndex
from matching.options_market.venue import OptionVenue
from matching.settlement.schema import metadata as settlement_metadata
from matching.spot.market import SpotMarket
from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)
from tests.ledger.conftest import engine  # noqa: F401  (fixture: an empty ledger on each backend)
from tests.matching.spot.ledger_view import fund

START = 1_790_000_000 * 1_000_000
DAY = 86_400 * 1_000_000
CALL = OptionSeries(250, START + 30 * DAY, Right.CALL)
PUT = OptionSeries(250, START + 30 * DAY, Right.PUT)
LATER_CALL = OptionSeries(300, START + 90 * DAY, Right.CALL)
SERIES = [CALL, PUT, LATER_CALL]


class Clock:
    """The venue's and the spot book's clock (µs); a test moves it."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> int:
        self.now += 1
        return self.now


class World:
    """The spot book (the index), the venue, the clock, and a way to set the index by trading spot."""

    def __init__(self, ledger: Engine, directory: Path) -> None:
        self.ledger, self.directory, self.clock = ledger, directory, Clock()
        records.metadata.create_all(ledger)
        settlement_metadata.create_all(ledger)  # the books record their trades for anchoring
        self.spot = SpotMarket.open(TPW_TUSD, directory / "spot", ledger, clock=self.clock)
        for trader in (1, 2, 3, 90, 91):
            fund(ledger, TPW_TUSD, trader, tpw=1_000, tusd=100_000)
        fund(ledger, TPW_TUSD, 4, tpw=1, tusd=1)  # a trader with 1 tUSD only
        self.order_id = 1_000
        self.set_index(240)
        self.venue = self.open_venue()

    def next_id(self) -> int:
        self.order_id += 1
        return self.order_id

    def set_index(self, ticks: int) -> None:
        """A spot trade at `ticks` between the two index traders: the options' underlying moves there."""
        self.spot.place(Place(0, self.next_id(), 90, Side.SELL, Kind.LIMIT, 1, ticks))
        self.spot.place(Place(0, self.next_id(), 91, Side.BUY, Kind.LIMIT, 1, ticks, tif=Tif.IOC))

    def open_venue(self) -> OptionVenue:
        return OptionVenue.open(
            "options",
            SERIES,
            self.directory / "options",
            self.ledger,
            load_surface(),
            SpotIndex(self.spot),
            clock=self.clock,
        )

    def order(
        self, series: OptionSeries, trader: int, side: Side, lots: int, ticks: int, tif: Tif = Tif.GTC
    ) -> Place:
        return Place(0, self.next_id(), trader, side, Kind.LIMIT, lots, ticks, tif=tif)

    def close(self) -> None:
        self.venue.close()
        self.spot.close()


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:  # noqa: F811
    built = World(engine, tmp_path)
    yield built
    built.close()


Reopen = Callable[[], OptionVenue]
