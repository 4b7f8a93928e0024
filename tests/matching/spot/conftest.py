"""Fixtures of the spot tests: a ledger on each backend, a TPW/tUSD market over it, funded traders."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from matching.markets import TPW_TUSD
from matching.settlement.schema import metadata as settlement_metadata
from matching.spot.market import SpotMarket
from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)
from tests.ledger.conftest import engine  # noqa: F401  (fixture: an empty ledger on each backend)
from tests.matching.spot.ledger_view import fund

OpenMarket = Callable[[], SpotMarket]


@pytest.fixture
def ledger(engine: Engine) -> Engine:  # noqa: F811
    """An empty ledger on this test's database (SQLite, then PostgreSQL), with the settlement tables the
    market records its trades in."""
    settlement_metadata.create_all(engine)
    return engine


@pytest.fixture
def open_market(ledger: Engine, tmp_path: Path) -> Iterator[OpenMarket]:
    """Open (or reopen, after a simulated crash) the TPW/tUSD market in one directory; closed at the end."""
    opened: list[SpotMarket] = []
    clock = iter(range(1_000, 10**9, 10))

    def open_() -> SpotMarket:
        market = SpotMarket.open(TPW_TUSD, tmp_path / "book", ledger, clock=lambda: next(clock))
        opened.append(market)
        return market

    yield open_
    for market in opened:
        market.close()


@pytest.fixture
def market(open_market: OpenMarket, ledger: Engine) -> SpotMarket:
    """The market, with traders 1 and 2 holding 1,000 TPW and 100,000 tUSD each."""
    spot = open_market()
    for trader in (1, 2):
        fund(ledger, spot.market, trader, tpw=1_000, tusd=100_000)
    return spot
