"""Fixtures of the FX domain tests: the ledger tests' empty ledger on each backend (with FX's tables) and
their customer accounts, and a rate source of round numbers that a test can check by hand."""

from datetime import date
from fractions import Fraction

import pytest
from sqlalchemy import Engine

from payments.fx.rates import ReferenceRates
from payments.fx.schema import metadata as fx_metadata
from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)
from tests.ledger.conftest import OpenAccount, engine, open_account  # noqa: F401  (fixtures)

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
def fx_tables(engine: Engine) -> None:  # noqa: F811
    """FX's tables beside the ledger's (`tests.ledger.conftest.engine`: an empty ledger on each backend)."""
    fx_metadata.create_all(engine)
