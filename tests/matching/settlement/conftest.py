"""Fixtures of the settlement tests: the spot tests' market over a ledger on each backend, with the
settlement tables beside it."""

from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)
from tests.ledger.conftest import engine  # noqa: F401  (fixture)
from tests.matching.spot.conftest import ledger, market, open_market  # noqa: F401  (fixtures)
