"""Fixtures of the perpetual market's tests: a ledger (with the records table) on each backend, the
TPW-PERP market over it in one directory (reopened as after a crash), funded traders."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from matching.engine import Kind, Place, Side, Tif
from matching.perp_market.market import PerpMarket
from matching.perp_market.records import metadata as records_metadata
from matching.perpetuals.spec import PerpSpec
from matching.settlement.schema import metadata as settlement_metadata
from risk.pretrade.schema import metadata as pretrade_metadata
from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)
from tests.ledger.conftest import engine  # noqa: F401  (fixture: an empty ledger on each backend)
from tests.matching.perp_market.view import UNIT, fund

OpenPerp = Callable[[], PerpMarket]
TRADERS = (1, 2, 3)


@pytest.fixture
def ledger(engine: Engine) -> Engine:  # noqa: F811
    """An empty ledger, records table and settlement tables on this test's database (SQLite, then
    PostgreSQL)."""
    records_metadata.create_all(engine)
    settlement_metadata.create_all(engine)  # the settled trades the market records
    pretrade_metadata.create_all(engine)  # the cool-downs the liquidations record
    return engine


@pytest.fixture
def clock() -> Iterator[int]:
    """The market's clock in µs, an hour apart per reading (funding intervals pass in a few rounds)."""
    return iter(range(10**12, 10**18, 3_600_000_000))


@pytest.fixture
def open_perp(ledger: Engine, tmp_path: Path, clock: Iterator[int]) -> Iterator[OpenPerp]:
    opened: list[PerpMarket] = []

    def open_() -> PerpMarket:
        market = PerpMarket.open(PerpSpec(), tmp_path / "perp", ledger, clock=lambda: next(clock))
        opened.append(market)
        return market

    yield open_
    for market in opened:
        market.close()


@pytest.fixture
def open_funded(open_perp: OpenPerp, ledger: Engine) -> OpenPerp:
    """`open_perp`, with traders 1, 2, 3 holding 100,000 tUSD in their wallets each."""
    for trader in TRADERS:
        fund(ledger, trader, 100_000)
    return open_perp


@pytest.fixture
def perp(open_perp: OpenPerp, ledger: Engine) -> PerpMarket:
    """The market with traders 1, 2, 3 holding 100,000 tUSD in their wallets each."""
    market = open_perp()
    for trader in TRADERS:
        fund(ledger, trader, 100_000)
    return market


def long_over_a_bid(perp: PerpMarket, price: int = 25_000) -> None:
    """Trader 1 long 50,000 lots at `price` on 300 tUSD of margin (from trader 2), trader 3 bidding 50,000
    at 19,700: a price round at 20,000 liquidates trader 1 into trader 3's bid."""
    perp.deposit(1, 101, 300 * UNIT)
    perp.deposit(2, 102, 1_000 * UNIT)
    perp.deposit(3, 103, 1_000 * UNIT)
    perp.price_round(price)
    perp.place(Place(0, 11, 2, Side.SELL, Kind.LIMIT, 50_000, price))
    perp.place(Place(0, 12, 1, Side.BUY, Kind.LIMIT, 50_000, price, tif=Tif.IOC))
    perp.place(Place(0, 13, 3, Side.BUY, Kind.LIMIT, 50_000, 19_700))
