"""Fixtures of the KYC tests: the tiers' tables on each backend and a movable clock."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

import risk.audit.schema
import risk.kyc.schema
from api.db import make_engine
from risk.kyc.assignments import Tiers
from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)
from tests.risk.screening.conftest import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:  # noqa: F811
    engine = make_engine(database_url)
    risk.kyc.schema.metadata.create_all(engine)
    risk.audit.schema.metadata.create_all(engine)  # a review decision is chained onto the risk log
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def tiers(engine: Engine, clock: Clock) -> Tiers:
    return Tiers(engine, clock=clock)
