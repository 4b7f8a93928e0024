"""Fixtures of the options routes' tests: the orders tests' merchants and funding."""

from tests.api.orders.conftest import (  # noqa: F401  (fixtures)
    admin,
    fund,
    merchant_a,
    merchant_b,
    operator,
    session,
)
