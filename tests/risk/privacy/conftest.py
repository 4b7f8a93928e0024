"""Fixtures of the privacy tests: the tables erasure and retention touch, on each backend; a pseudonym key."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

import ledger.schema
import risk.devices.schema
import risk.factors.schema
import risk.identity.schema
import risk.kyc.schema
import risk.monitoring.schema
import risk.privacy.schema
import risk.screening.schema
from risk.privacy.pseudonyms import Pseudonymizer
from tests.helpers.db import database_url, engine_on, pg_url, sqlite_url  # noqa: F401  (fixtures)

METADATAS = (
    ledger.schema.metadata,
    risk.identity.schema.metadata,
    risk.factors.schema.metadata,
    risk.devices.schema.metadata,
    risk.kyc.schema.metadata,
    risk.monitoring.schema.metadata,
    risk.privacy.schema.metadata,
    risk.screening.schema.metadata,
)
START = 1_800_000_000


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:  # noqa: F811
    with engine_on(database_url) as engine:
        for metadata in METADATAS:
            metadata.create_all(engine)
        yield engine


@pytest.fixture
def pseudonymizer() -> Pseudonymizer:
    return Pseudonymizer(bytes(range(32)))
