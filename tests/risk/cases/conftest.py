"""The cases' tests run on the risk tables of tests/risk/audit/conftest.py."""

from tests.risk.audit.conftest import database_url, engine, pg_url, sqlite_url  # noqa: F401  (fixtures)
