"""Fixtures of the pre-trade store tests: their tables, the risk audit's and the decisions' on each backend
(from their metadata; tests/api/test_migrations.py proves migration 0033 builds the same schema)."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

import risk.audit.schema
import risk.decisions.schema
import risk.pretrade.schema
from tests.helpers.db import database_url, engine_on, pg_url, sqlite_url  # noqa: F401  (fixtures)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:  # noqa: F811
    with engine_on(database_url) as engine:
        for metadata in (
            risk.audit.schema.metadata,
            risk.decisions.schema.metadata,
            risk.pretrade.schema.metadata,
        ):
            metadata.create_all(engine)
        yield engine
