"""Fixtures of the ledger tests: a ledger on each backend, and accounts to move money between.

The tables come from the ledger's metadata (fast, per test); tests/ledger/test_migration.py proves the
Alembic chain builds the same schema. The engine is the API's (`api.db.make_engine`), as in production.
"""

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from api.db import make_engine
from ledger.accounts import create_accounts
from ledger.ids import new_id
from ledger.model import AccountFlags, AccountSpec, OwnerKind
from ledger.schema import metadata
from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)

OpenAccount = Callable[..., int]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:  # noqa: F811
    """An empty ledger on this test's database."""
    engine = make_engine(database_url)
    metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def open_account(engine: Engine) -> OpenAccount:
    """Create an account and return its id: `open_account("EUR", flags=...)`."""

    def open_(
        currency: str = "EUR",
        *,
        flags: AccountFlags = AccountFlags.NONE,
        owner_kind: OwnerKind = OwnerKind.CUSTOMER,
        code: int = 1,
    ) -> int:
        account_id = new_id()
        spec = AccountSpec(account_id, currency, owner_kind, f"owner-{account_id}", code, flags)
        [outcome] = create_accounts(engine, [spec])
        assert outcome.result == "ok"
        return account_id

    return open_
