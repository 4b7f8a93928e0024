"""Fixtures of the risk audit, decision and case tests: their tables on each backend (from their
metadata; tests/api/test_migrations.py proves migration 0021 builds the same schema)."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

import risk.audit.schema
import risk.cases.schema
import risk.decisions.schema
from tests.helpers.db import database_url, engine_on, pg_url, sqlite_url  # noqa: F401  (fixtures)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:  # noqa: F811
    with engine_on(database_url) as engine:
        for metadata in (
            risk.audit.schema.metadata,
            risk.decisions.schema.metadata,
            risk.cases.schema.metadata,
        ):
            metadata.create_all(engine)
        yield engine
