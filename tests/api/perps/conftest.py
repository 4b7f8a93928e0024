"""Fixtures of the perpetual's routes: the orders tests' merchants and funding, and the app's perpetual
market of a mode, to run price rounds on (the price loop is off in tests; the pool is the chain's)."""

from collections.abc import Callable
from typing import Any

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
TRANSFERS = "/v1/margin/transfers"


@pytest.fixture
def perp(client: TestClient) -> Perp:
    """`perp(livemode)`: the app's TPW-PERP market of that mode."""

    def get(livemode: bool) -> PerpMarket:
        market: PerpMarket = client.app.state.perp_markets.get(livemode)  # type: ignore[attr-defined]
        return market

    return get


def order(side: str, price: str, qty: str, **extra: Any) -> dict[str, Any]:
    return {"market": "TPW-PERP", "side": side, "price": price, "qty": qty, **extra}


def deposit(caller: Any, amount: str, key: str | None = None) -> Any:
    body = {"market": "TPW-PERP", "direction": "deposit", "amount": amount}
    return caller.post(TRANSFERS, body, idempotency_key=key)


@pytest.fixture
def traders(
    merchant_a: Onboarded,  # noqa: F811
    merchant_b: Onboarded,  # noqa: F811
    fund: Fund,  # noqa: F811
    perp: Perp,
) -> tuple[Onboarded, Onboarded]:
    """Two merchants with 10,000 tUSD each in their sandbox balances, 1,000 of it as margin; the sandbox
    market priced at 2.5 tUSD per TPW."""
    for merchant in (merchant_a, merchant_b):
        fund(merchant, False, 1, 10_000)
        assert deposit(merchant.sandbox, "1000").status_code == 201
    perp(False).price_round(25_000)
    return merchant_a, merchant_b
