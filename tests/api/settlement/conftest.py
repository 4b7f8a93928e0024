"""Fixtures of the settlement routes' tests: the orders tests' merchants and funding, the API's database
engine, and two merchants who traded on the sandbox book."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select

from api.settings import ApiSettings
from matching.settlement.schema import settlement_trades
from tests.api.merchants.conftest import Onboarded
from tests.api.orders.conftest import (  # noqa: F401  (fixtures)
    Fund,
    admin,
    fund,
    merchant_a,
    merchant_b,
    operator,
    session,
)

ORDERS = "/v1/orders"


def order(side: str, price: str, qty: str, **extra: Any) -> dict[str, Any]:
    return {"market": "TPW-tUSD", "side": side, "price": price, "qty": qty, **extra}


@pytest.fixture
def engine(api_settings: ApiSettings) -> Iterator[Engine]:
    """An engine on the API's database, to read and cut batches beside the app."""
    engine = create_engine(api_settings.database_url)
    yield engine
    engine.dispose()


def trade(buyer: Onboarded, seller: Onboarded, engine: Engine, quantities: tuple[str, ...]) -> list[str]:
    """`buyer` rests a buy at 2.50, `seller` takes it with one IOC sell per quantity: the new trade ids."""
    with engine.connect() as connection:
        known = set(connection.scalars(select(settlement_trades.c.id)))
    total = sum(int(qty) for qty in quantities)
    assert buyer.sandbox.post(ORDERS, order("buy", "2.50", str(total))).status_code == 201
    for qty in quantities:
        taken = seller.sandbox.post(ORDERS, order("sell", "2.40", qty, time_in_force="ioc"))
        assert taken.json()["filled_qty"] == qty, taken.text
    with engine.connect() as connection:
        rows = connection.scalars(select(settlement_trades.c.id).order_by(settlement_trades.c.seq))
        return [trade_id for trade_id in rows if trade_id not in known]


@pytest.fixture
def traded(merchant_a: Onboarded, merchant_b: Onboarded, fund: Fund, engine: Engine) -> list[str]:  # noqa: F811
    """A (buyer) and B (seller) traded twice on the sandbox book: the trade ids, in order."""
    for merchant in (merchant_a, merchant_b):
        fund(merchant, False, 100, 10_000)
    return trade(merchant_a, merchant_b, engine, ("3", "4"))
