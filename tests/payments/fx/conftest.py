"""Fixtures of the FX domain tests: an empty ledger with FX's tables on each backend, customer accounts, and a
rate source of round numbers that a test can check by hand."""

from collections.abc import Callable, Iterator
from datetime import date
from fractions import Fraction

import pytest
from sqlalchemy import Engine

from api.db import make_engine
from ledger.accounts import create_accounts
from ledger.ids import new_id
from ledger.model import AccountSpec, OwnerKind
from ledger.schema import metadata as ledger_metadata
from payments.fx.rates import ReferenceRates
from payments.fx.schema import metadata as fx_metadata
from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)

OpenAccount = Callable[[str], int]

ROUND_RATES = ReferenceRates(
    date(2026, 12, 4),
    {
        "EUR": Fraction(1),
        "USD": Fraction("1.25"),
        "JPY": Fraction(150),
        "KWD": Fraction("0.3315"),
        "BHD": Fraction("0.4"),
    },
)
"""Per euro: USD 1.25, JPY 150 (so USD->JPY 120), KWD 0.3315, BHD 0.4."""


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:  # noqa: F811
    engine = make_engine(database_url)
    ledger_metadata.create_all(engine)
    fx_metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def open_account(engine: Engine) -> OpenAccount:
    """A customer account of `currency` (a ledger code), without balance flags: it may go negative, so a
    test converts without funding it first."""

    def open_(currency: str) -> int:
        account_id = new_id()
        spec = AccountSpec(account_id, currency, OwnerKind.CUSTOMER, f"customer-{account_id}")
        [outcome] = create_accounts(engine, [spec])
        assert outcome.result == "ok"
        return account_id

    return open_
