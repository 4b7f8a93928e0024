"""Fixtures of the perpetual's routes: the orders tests' merchants and funding, and the app's perpetual
market of a mode, to run price rounds on (the price loop is off in tests; the pool is the chain's)."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from matching.perp_market.market import PerpMarket
from tests.api.merchants.conftest import (  # noqa: F401  (fixtures)
    Caller,
    Onboarded,
    admin,
    merchant_a,
    merchant_b,
    onboard,
    operator,
    session,
)
from tests.api.orders.conftest import Fund, fund  # noqa: F401  (fixtures)

Perp = Callable[[bool], PerpMarket]


@pytest.fixture
def perp(client: TestClient) -> Perp:
    """`perp(livemode)`: the app's TPW-PERP market of that mode."""

    def get(livemode: bool) -> PerpMarket:
        market: PerpMarket = client.app.state.perp_markets.get(livemode)  # type: ignore[attr-defined]
        return market

    return get
