"""`/v1/options` and option orders through `/v1/orders`: marks and greeks as decimal strings, premiums and
margin, problems naming the field, scopes, and outsiders (another merchant, the other mode) seeing nothing."""

from decimal import Decimal
from typing import Any

import pytest

from tests.api.merchants.conftest import Caller, Onboarded
from tests.api.orders.conftest import Fund

SERIES = "/v1/options/series"
POSITIONS = "/v1/options/positions"
ORDERS = "/v1/orders"
CALL = "TPW-20270326-2.5-C"


def order(market: str, side: str, price: str, qty: str, **extra: Any) -> dict[str, Any]:
    return {"market": market, "side": side, "price": price, "qty": qty, **extra}


@pytest.fixture
def traders(merchant_a: Onboarded, merchant_b: Onboarded, fund: Fund) -> tuple[Onboarded, Onboarded]:
    for merchant in (merchant_a, merchant_b):
        fund(merchant, False, 100, 10_000)
    return merchant_a, merchant_b


def set_index(a: Onboarded, b: Onboarded, price: str) -> None:
    """A sandbox spot trade at `price`: the sandbox options' underlying."""
    assert a.sandbox.post(ORDERS, order("TPW-tUSD", "sell", price, "1")).status_code == 201
    taken = b.sandbox.post(ORDERS, order("TPW-tUSD", "buy", price, "1", time_in_force="ioc"))
    assert taken.json()["status"] == "filled"


def test_series_are_listed_with_marks_and_greeks_once_the_underlying_trades(
    traders: tuple[Onboarded, Onboarded],
) -> None:
    a, b = traders
    before = a.sandbox.get(SERIES)
    assert before.status_code == 200, before.text
    listed = {item["id"]: item for item in before.json()["data"]}
    assert CALL in listed
    assert (listed[CALL]["underlying_price"], listed[CALL]["mark"], listed[CALL]["status"]) == (
        None,
        None,
        "trading",
    )
    set_index(a, b, "2.40")
    call = {item["id"]: item for item in a.sandbox.get(SERIES).json()["data"]}[CALL]
    assert (call["strike"], call["right"], call["contract_size"], call["underlying_price"]) == (
        "2.5",
        "call",
        "1",
        "2.4",
    )
    assert all(isinstance(call["greeks"][greek], str) for greek in ("delta", "gamma", "vega", "theta", "rho"))
    assert 0 < Decimal(call["greeks"]["delta"]) < 1
    assert Decimal(call["greeks"]["theta"]) < 0
    assert abs(Decimal(call["mark"]) - Decimal(call["model_price"])) <= Decimal("0.005")
    put = {item["id"]: item for item in a.sandbox.get(SERIES).json()["data"]}["TPW-20270326-2.5-P"]
    assert -1 < Decimal(put["greeks"]["delta"]) < 0


def test_a_written_call_moves_the_premium_and_holds_margin(traders: tuple[Onboarded, Onboarded]) -> None:
    a, b = traders
    set_index(a, b, "2.40")
    written = b.sandbox.post(ORDERS, order(CALL, "sell", "0.30", "2"))
    assert written.status_code == 201, written.text
    assert (written.json()["market"], written.json()["status"]) == (CALL, "open")
    pending = b.sandbox.get(POSITIONS).json()
    assert pending["data"][0]["open_sell_qty"] == "2"
    assert Decimal(pending["margin"]["held"]) == Decimal(pending["margin"]["requirement"]) > 0
    bought = a.sandbox.post(ORDERS, order(CALL, "buy", "0.30", "2", time_in_force="ioc"))
    assert (bought.json()["status"], bought.json()["filled_qty"]) == ("filled", "2")
    mine = a.sandbox.get(POSITIONS).json()
    assert [(p["series"], p["qty"]) for p in mine["data"]] == [(CALL, "2")]
    assert mine["margin"]["requirement"] == "0"  # a long owes nothing more
    theirs = b.sandbox.get(POSITIONS).json()
    assert [(p["series"], p["qty"], p["open_sell_qty"]) for p in theirs["data"]] == [(CALL, "-2", "0")]
    assert Decimal(theirs["data"][0]["value"]) < 0
    assert b.sandbox.get(f"{ORDERS}/{written.json()['id']}").json()["status"] == "filled"


def test_a_bad_option_order_is_a_4xx_naming_the_field(traders: tuple[Onboarded, Onboarded]) -> None:
    a, b = traders
    set_index(a, b, "2.40")
    for body, field in (
        (order(CALL, "buy", "0.305", "1"), "price"),
        (order(CALL, "buy", "0.30", "0.5"), "qty"),
        (order("TPW-20270326-9-C", "buy", "0.30", "1"), "market"),
        (order(CALL, "sell", "0.30", "100000"), "qty"),  # above the order size of config/pretrade.yaml
    ):
        response = a.sandbox.post(ORDERS, body)
        assert response.status_code == 422, response.text
        assert [error["field"] for error in response.json()["errors"]] == [field]
    too_large = a.sandbox.post(ORDERS, order(CALL, "sell", "0.30", "100000"))
    assert too_large.json()["type"].endswith("order-size")
    assert a.sandbox.post(ORDERS, order(CALL, "sell", "0.30", "10000")).status_code == 201
    refused = a.sandbox.post(ORDERS, order(CALL, "sell", "0.30", "10000"))  # margin beyond the balance
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"].endswith("insufficient-funds")


def test_a_sell_before_the_underlying_has_a_price_is_a_409(traders: tuple[Onboarded, Onboarded]) -> None:
    refused = traders[0].sandbox.post(ORDERS, order(CALL, "sell", "0.30", "1"))
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "no_index_price"


def test_outsiders_and_the_other_mode_see_none_of_it(traders: tuple[Onboarded, Onboarded]) -> None:
    a, b = traders
    set_index(a, b, "2.40")
    placed = b.sandbox.post(ORDERS, order(CALL, "sell", "0.30", "1")).json()
    for outsider in (a.sandbox, a.live, b.live):
        assert outsider.get(f"{ORDERS}/{placed['id']}").status_code == 404
        assert outsider.get(POSITIONS).json()["data"] == []
    live = b.live.get(POSITIONS).json()
    assert (live["livemode"], live["margin"]) == (True, None)  # the live book never traded: no price


def test_scopes_and_keys(traders: tuple[Onboarded, Onboarded], admin: Caller) -> None:
    a, _ = traders
    issued = admin.post(f"/v1/merchants/{a.id}/api-keys", {"mode": "sandbox", "scopes": ["payments:read"]})
    assert issued.status_code == 201, issued.text
    narrow = Caller(a.sandbox.client, issued.json()["token"])
    for path in (SERIES, POSITIONS):
        assert narrow.get(path).status_code == 403
        assert Caller(a.sandbox.client, None).get(path).status_code == 401
        assert admin.get(path).status_code == 403  # an operator's key is not a merchant's


def test_canceling_a_written_order_gives_its_margin_back(traders: tuple[Onboarded, Onboarded]) -> None:
    a, b = traders
    set_index(a, b, "2.40")
    written = b.sandbox.post(ORDERS, order(CALL, "sell", "0.50", "3")).json()
    assert Decimal(b.sandbox.get(POSITIONS).json()["margin"]["held"]) > 0
    canceled = b.sandbox.delete(f"{ORDERS}/{written['id']}")
    assert canceled.json()["status"] == "canceled"
    after = b.sandbox.get(POSITIONS).json()
    assert (after["data"], after["margin"]["held"], after["margin"]["requirement"]) == ([], "0", "0")
