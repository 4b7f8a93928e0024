"""Fixtures of the stablecoin rail's tests: the database on each backend."""

from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)
