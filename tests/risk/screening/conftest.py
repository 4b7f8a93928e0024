"""Fixtures of the screening tests: the shipped sample list, its tables on each backend, a movable clock."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

import risk.audit.schema
import risk.screening.schema
from api.db import make_engine
from chain.paths import PROJECT_ROOT
from risk.screening import sdn
from risk.screening.index import ListIndex
from risk.screening.screenings import Screener, ScreeningPolicy
from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)

SAMPLE_DIR = PROJECT_ROOT / "config" / "risk" / "sanctions"
START_MS = 1_796_000_000_000


def sample_files() -> dict[str, bytes]:
    """The sample list's four files, by OFAC's names."""
    return {
        name: (SAMPLE_DIR / name).read_bytes()
        for name in (sdn.SDN_FILE, sdn.ALT_FILE, sdn.ADD_FILE, sdn.COMMENTS_FILE)
    }


def write_list(directory: Path, files: dict[str, bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return directory


class Clock:
    """Unix milliseconds, moved by the test."""

    def __init__(self) -> None:
        self.now = START_MS

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def sample() -> sdn.SdnList:
    return sdn.load(SAMPLE_DIR)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:  # noqa: F811
    engine = make_engine(database_url)
    risk.screening.schema.metadata.create_all(engine)
    risk.audit.schema.metadata.create_all(engine)  # a reviewer's decision is chained onto the risk log
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def screener(engine: Engine, sample: sdn.SdnList, clock: Clock) -> Screener:
    return Screener(engine, ListIndex(sample), clock=clock, policy=ScreeningPolicy(name_threshold=88))
