"""Fixtures of the merchant domain tests: a session on each backend with the merchants' tables (from their
metadata: tests/api/test_migrations.py proves the Alembic chain builds the same schema), and an application
to file."""

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from api.db import make_engine
from payments.merchants.model import Application, FeeSchedule, FeeTerms
from payments.merchants.schema import metadata
from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:  # noqa: F811
    """A session on empty merchants' tables of this test's database."""
    engine = make_engine(database_url)
    metadata.create_all(engine)
    try:
        with Session(engine) as opened:
            yield opened
    finally:
        engine.dispose()


def fees(basis_points: int = 290, fixed: int = 30) -> FeeSchedule:
    terms = FeeTerms(basis_points, fixed)
    return FeeSchedule(card=terms, bank=terms, stablecoin=terms)


@pytest.fixture
def application() -> Application:
    return Application("Acme GmbH", "DE", "EUR", fees())
