"""Fixtures of the benchmark tests: a database URL on each backend."""

from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)
