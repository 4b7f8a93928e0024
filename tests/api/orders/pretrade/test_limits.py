"""`POST /v1/orders` over the pre-trade limits: each limit hit and just not hit, every refusal a problem
naming the field and the limit, and nothing held in the ledger nor stored for a refused order."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from fastapi import FastAPI

from api.orders.runtime import trader_of
from payments.merchants.tenant import Tenant
from tests.api.merchants.conftest import Onboarded
from tests.api.orders.pretrade.conftest import ORDERS, T0, Holdings, order


def refused(response: httpx.Response, status: int, problem: str, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:tpwallet:problem:{problem}"
    assert [error["field"] for error in body["errors"]] == [field]
    return body


def orders_of(merchant: Onboarded) -> int:
    return len(merchant.sandbox.get(ORDERS).json()["data"])


def test_order_size_in_lots_and_notional(traders: tuple[Onboarded, Onboarded], holdings: Holdings) -> None:
    a, _ = traders
    assert (
        a.sandbox.post(ORDERS, order("buy", "5", "20")).status_code == 201
    )  # 20 lots, 100 tUSD: both limits
    before = holdings(a)
    lots = refused(a.sandbox.post(ORDERS, order("buy", "1", "21")), 422, "order-size", "qty")
    assert (lots["limit"], lots["value"], lots["unit"]) == ("20", "21", "lots")
    notional = refused(a.sandbox.post(ORDERS, order("buy", "5.01", "20")), 422, "order-size", "qty")
    assert (notional["limit"], notional["value"], notional["unit"]) == (
        "100000000",
        "100200000",
        "quote_minor_units",
    )
    assert holdings(a) == before  # nothing held for either
    assert orders_of(a) == 1  # and nothing stored


def test_the_position_limit_counts_open_orders(
    traders: tuple[Onboarded, Onboarded], holdings: Holdings
) -> None:
    a, _ = traders
    assert a.sandbox.post(ORDERS, order("buy", "2", "20")).status_code == 201
    assert a.sandbox.post(ORDERS, order("buy", "2", "10")).status_code == 201  # 30 open: at the limit
    before = holdings(a)
    over = refused(a.sandbox.post(ORDERS, order("buy", "2", "1")), 422, "position-limit", "qty")
    assert (over["limit"], over["value"], over["unit"]) == ("30", "31", "lots")
    assert holdings(a) == before
    # the sell side is counted on its own: selling does not need the buys' room
    assert a.sandbox.post(ORDERS, order("sell", "2.10", "20")).status_code == 201
    # nor does it make room for more buys
    refused(a.sandbox.post(ORDERS, order("buy", "2", "1")), 422, "position-limit", "qty")


def test_the_price_band_around_the_last_trade(
    traders: tuple[Onboarded, Onboarded], holdings: Holdings
) -> None:
    a, b = traders
    # no trade yet: no reference, any price within the market's own limits
    assert a.sandbox.post(ORDERS, order("buy", "2.50", "1")).status_code == 201
    assert b.sandbox.post(ORDERS, order("sell", "2.50", "1", time_in_force="ioc")).status_code == 201
    before = holdings(a), holdings(b)
    high = refused(a.sandbox.post(ORDERS, order("buy", "2.76", "1")), 422, "price-band", "price")
    assert (high["limit"], high["value"], high["unit"], high["reference"]) == ("275", "276", "ticks", 250)
    low = refused(b.sandbox.post(ORDERS, order("sell", "2.24", "1")), 422, "price-band", "price")
    assert (low["limit"], low["value"]) == ("225", "224")
    assert (holdings(a), holdings(b)) == before
    assert b.sandbox.post(ORDERS, order("sell", "2.25", "1")).status_code == 201  # the band's edges pass
    assert a.sandbox.post(ORDERS, order("buy", "2.75", "1")).status_code == 201


def test_after_a_liquidation_only_reducing_orders_until_the_cooldown_ends(
    app: FastAPI, traders: tuple[Onboarded, Onboarded], at: Callable[[int], None], holdings: Holdings
) -> None:
    a, b = traders
    at(T0)
    assert b.sandbox.post(ORDERS, order("sell", "2.50", "2")).status_code == 201
    assert a.sandbox.post(ORDERS, order("buy", "2.50", "2")).status_code == 201  # A is long 2
    # the perpetual's service reports the liquidation through the interface it is given
    app.state.liquidations.record_liquidation(trader_of(Tenant(a.id, False)), "TPW-tUSD", T0 + 10)
    at(T0 + 20)
    before = holdings(a)
    buy = refused(a.sandbox.post(ORDERS, order("buy", "2.50", "1")), 409, "liquidation-cooldown", "side")
    assert (buy["limit"], buy["until"], buy["unit"]) == (str(T0 + 310), T0 + 310, "unix_seconds")
    refused(a.sandbox.post(ORDERS, order("sell", "2.50", "3")), 409, "liquidation-cooldown", "side")  # flips
    assert holdings(a) == before
    assert a.sandbox.post(ORDERS, order("sell", "2.50", "1")).status_code == 201  # reduces: allowed
    assert b.sandbox.post(ORDERS, order("buy", "2.50", "1")).status_code == 201  # B was not liquidated
    at(T0 + 309)
    refused(a.sandbox.post(ORDERS, order("buy", "2.40", "1")), 409, "liquidation-cooldown", "side")
    at(T0 + 310)
    assert a.sandbox.post(ORDERS, order("buy", "2.40", "1")).status_code == 201


def test_concurrent_orders_of_one_account_cannot_share_the_same_room(
    traders: tuple[Onboarded, Onboarded],
) -> None:
    a, _ = traders
    start = threading.Barrier(8)

    def buy(price: str) -> httpx.Response:
        start.wait()
        return a.sandbox.post(ORDERS, order("buy", price, "5"))

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(buy, [f"2.0{n}" for n in range(8)]))
    statuses = sorted(response.status_code for response in answers)
    assert statuses == [201] * 6 + [422] * 2, [response.text for response in answers]  # 6 x 5 = the 30 lots
    assert all(r.json()["type"].endswith("position-limit") for r in answers if r.status_code == 422)
