"""`/v1/orders`: place, trade, read, list, amend, cancel; problems naming the field; idempotency; outsiders
(another merchant, the other mode) answered 404; a sandbox key trades sandbox balances only."""

from typing import Any

import pytest

from tests.api.merchants.conftest import Onboarded
from tests.api.orders.conftest import Fund

ORDERS = "/v1/orders"


def order(side: str, price: str, qty: str, **extra: Any) -> dict[str, Any]:
    return {"market": "TPW-tUSD", "side": side, "price": price, "qty": qty, **extra}


@pytest.fixture
def traders(merchant_a: Onboarded, merchant_b: Onboarded, fund: Fund) -> tuple[Onboarded, Onboarded]:
    for merchant in (merchant_a, merchant_b):
        fund(merchant, False, 100, 10_000)
    return merchant_a, merchant_b


def test_two_merchants_trade_and_read_their_orders(traders: tuple[Onboarded, Onboarded]) -> None:
    a, b = traders
    resting = a.sandbox.post(ORDERS, order("buy", "2.50", "10"))
    assert resting.status_code == 201, resting.text
    body = resting.json()
    assert (body["status"], body["price"], body["qty"], body["filled_qty"], body["livemode"]) == (
        "open",
        "2.5",
        "10",
        "0",
        False,
    )
    taker = b.sandbox.post(ORDERS, order("sell", "2.40", "4", time_in_force="ioc"))
    assert taker.status_code == 201, taker.text
    assert (taker.json()["status"], taker.json()["filled_qty"]) == ("filled", "4")
    maker = a.sandbox.get(f"{ORDERS}/{body['id']}").json()
    assert (maker["status"], maker["filled_qty"]) == ("partially_filled", "4")


def test_idempotency_key_replays_the_first_order(traders: tuple[Onboarded, Onboarded]) -> None:
    a, _ = traders
    first = a.sandbox.post(ORDERS, order("buy", "1", "1"), idempotency_key="same")
    again = a.sandbox.post(ORDERS, order("buy", "1", "1"), idempotency_key="same")
    assert first.json() == again.json()
    assert len(a.sandbox.get(ORDERS).json()["data"]) == 1
    other = a.sandbox.post(ORDERS, order("buy", "1", "2"), idempotency_key="same")
    assert other.status_code == 409


def test_amend_and_cancel_release_funds(traders: tuple[Onboarded, Onboarded]) -> None:
    a, _ = traders
    placed = a.sandbox.post(ORDERS, order("sell", "3", "50")).json()
    amended = a.sandbox.request("PATCH", f"{ORDERS}/{placed['id']}", {"qty": "20", "price": "3.10"})
    assert amended.status_code == 200, amended.text
    assert (amended.json()["qty"], amended.json()["price"]) == ("20", "3.1")
    more = a.sandbox.request("PATCH", f"{ORDERS}/{placed['id']}", {"qty": "60"})
    assert more.status_code == 422
    assert more.json()["errors"][0]["field"] == "qty"
    # the 50 TPW are free again once canceled: a sell of all 100 is funded
    canceled = a.sandbox.delete(f"{ORDERS}/{placed['id']}")
    assert canceled.json()["status"] == "canceled"
    assert a.sandbox.delete(f"{ORDERS}/{placed['id']}").json()["status"] == "canceled"
    assert a.sandbox.post(ORDERS, order("sell", "3", "100")).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (order("buy", "2.505", "1"), "price"),
        (order("buy", "2", "0.5"), "qty"),
        (order("buy", "2", "1e3"), "qty"),
        (order("buy", "0", "1"), "price"),
        ({**order("buy", "2", "1"), "market": "BTC-USD"}, "market"),
        (order("hold", "2", "1"), "side"),
        (order("buy", "2", "1", time_in_force="ioc", post_only=True), "post_only"),
        (order("buy", "2", "100000"), "qty"),  # 200,000 tUSD: more than the balance
    ],
)
def test_a_bad_order_is_a_422_naming_the_field(
    traders: tuple[Onboarded, Onboarded], body: dict[str, Any], field: str
) -> None:
    response = traders[0].sandbox.post(ORDERS, body)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_a_book_refusal_is_a_409_with_its_code(traders: tuple[Onboarded, Onboarded]) -> None:
    a, b = traders
    a.sandbox.post(ORDERS, order("sell", "2", "1"))
    refused = b.sandbox.post(ORDERS, order("buy", "2", "1", post_only=True))
    assert refused.status_code == 409
    assert refused.json()["code"] == "post_only_would_take"


def test_outsiders_and_the_other_mode_see_404(traders: tuple[Onboarded, Onboarded]) -> None:
    a, b = traders
    placed = a.sandbox.post(ORDERS, order("buy", "1", "1")).json()
    path = f"{ORDERS}/{placed['id']}"
    for outsider in (b.sandbox, b.live, a.live):
        assert outsider.get(path).status_code == 404
        assert outsider.delete(path).status_code == 404
        assert outsider.request("PATCH", path, {"qty": "1"}).status_code == 404
        assert outsider.get(ORDERS).json()["data"] == []
    assert a.sandbox.get(path).json()["status"] == "open"


def test_a_live_key_never_spends_sandbox_balances(traders: tuple[Onboarded, Onboarded]) -> None:
    a, _ = traders
    refused = a.live.post(ORDERS, order("buy", "1", "1"))
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("insufficient-funds")


def test_list_pages_newest_first(traders: tuple[Onboarded, Onboarded]) -> None:
    a, _ = traders
    ids = [a.sandbox.post(ORDERS, order("buy", "1", str(n))).json()["id"] for n in (1, 2, 3)]
    first = a.sandbox.get(f"{ORDERS}?limit=2").json()
    assert [item["id"] for item in first["data"]] == ids[::-1][:2]
    assert first["has_more"]
    rest = a.sandbox.get(f"{ORDERS}?limit=2&cursor={first['next_cursor']}").json()
    assert [item["id"] for item in rest["data"]] == ids[:1]
    assert not rest["has_more"]
