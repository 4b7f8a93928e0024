"""The perpetual through the API: margin transfers (idempotent), TPW-PERP orders through `/v1/orders`,
positions, margin, leverage and mode, the funding history and the liquidation feed; problems naming the
field; another merchant, the other mode and a key without the scope see nothing of it."""

from typing import Any

import pytest

from tests.api.merchants.conftest import Onboarded
from tests.api.orders.conftest import Fund
from tests.api.perps.conftest import TRANSFERS, Perp, deposit, order

ORDERS = "/v1/orders"
HOUR = 3_600_000_000


def test_a_deposit_is_idempotent_and_moves_the_balance_once(
    merchant_a: Onboarded, fund: Fund, perp: Perp
) -> None:
    fund(merchant_a, False, 1, 500)
    first = deposit(merchant_a.sandbox, "120.5", key="once")
    assert first.status_code == 201, first.text
    again = deposit(merchant_a.sandbox, "120.5", key="once")
    assert again.json() == first.json()
    assert first.json()["margin"]["wallet"] == "120.5"
    market = perp(False)
    (account,) = market.runner.perp.accounts.values()
    assert account.collateral == 120_500_000
    assert deposit(merchant_a.sandbox, "1000").json()["type"].endswith("insufficient-funds")


def test_trade_positions_and_margin(traders: tuple[Onboarded, Onboarded]) -> None:
    a, b = traders
    resting = a.sandbox.post(ORDERS, order("buy", "2.5", "100"))
    assert resting.status_code == 201, resting.text
    taken = b.sandbox.post(ORDERS, order("sell", "2.5", "100", time_in_force="ioc"))
    assert (taken.json()["status"], taken.json()["filled_qty"], taken.json()["market"]) == (
        "filled",
        "100",
        "TPW-PERP",
    )
    assert a.sandbox.get(f"{ORDERS}/{resting.json()['id']}").json()["status"] == "filled"
    (long,) = a.sandbox.get("/v1/positions").json()["data"]
    (short,) = b.sandbox.get("/v1/positions").json()["data"]
    assert (long["size"], long["entry_price"], long["entry_value"], long["mark_price"]) == (
        "100",
        "2.5",
        "250",
        "2.5",
    )
    assert short["size"] == "-100"
    margin = a.sandbox.get("/v1/margin?market=TPW-PERP").json()
    # 250 tUSD long at 5x: 50 initial, 12.5 maintenance; the maker fee (2 bps) took 0.05
    assert (margin["equity"], margin["initial_margin"], margin["maintenance_margin"]) == (
        "999.95",
        "50",
        "12.5",
    )
    assert margin["health"] == "healthy"
    closing = a.sandbox.post(ORDERS, order("sell", "2.4", "100", time_in_force="ioc", reduce_only=True))
    assert closing.status_code == 201  # nothing to trade against: unfilled, but admitted
    resting = a.sandbox.post(ORDERS, order("buy", "2.4", "50")).json()
    amend = a.sandbox.request("PATCH", f"{ORDERS}/{resting['id']}", {"qty": "10"})
    assert [e["field"] for e in amend.json()["errors"]] == ["qty"]  # a perpetual order: cancel and place
    canceled = a.sandbox.delete(f"{ORDERS}/{resting['id']}")
    assert (canceled.json()["status"], canceled.json()["market"]) == ("canceled", "TPW-PERP")
    assert b.sandbox.delete(f"{ORDERS}/{resting['id']}").status_code == 404


def test_leverage_mode_and_withdrawal_rules(traders: tuple[Onboarded, Onboarded]) -> None:
    a, b = traders
    changed = a.sandbox.request(
        "PATCH", "/v1/margin", {"market": "TPW-PERP", "leverage": 2, "margin_mode": "isolated"}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["leverage"], changed.json()["margin_mode"]) == (2, "isolated")
    a.sandbox.post(ORDERS, order("buy", "2.5", "400"))
    b.sandbox.post(ORDERS, order("sell", "2.5", "400", time_in_force="ioc"))
    flat_only = a.sandbox.request("PATCH", "/v1/margin", {"market": "TPW-PERP", "margin_mode": "cross"})
    assert [e["field"] for e in flat_only.json()["errors"]] == ["margin_mode"]
    withdraw = {"market": "TPW-PERP", "direction": "withdraw", "amount": "500"}
    refused = b.sandbox.post(TRANSFERS, withdraw)  # b: 1,000 short at 5x needs 200; 999.5 held: 500 leaves
    assert refused.status_code == 201, refused.text
    too_much = b.sandbox.post(TRANSFERS, {**withdraw, "amount": "400"})
    assert too_much.status_code == 422
    assert [e["field"] for e in too_much.json()["errors"]] == ["amount"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (order("buy", "2.50005", "1"), "price"),
        (order("buy", "2.5", "0.001"), "qty"),
        (order("buy", "2.5", "100000"), "qty"),  # 250,000 tUSD: beyond what 1,000 carries at 5x
        (order("buy", "2.5", "1", reduce_only=True, time_in_force="ioc"), "reduce_only"),
        ({**order("buy", "2.5", "1"), "reduce_only": "maybe"}, "reduce_only"),
    ],
)
def test_a_bad_perp_order_is_a_422_naming_the_field(
    traders: tuple[Onboarded, Onboarded], body: dict[str, Any], field: str
) -> None:
    response = traders[0].sandbox.post(ORDERS, body)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", TRANSFERS, {"market": "TPW-PERP", "direction": "deposit", "amount": "0.0000001"}, "amount"),
        ("POST", TRANSFERS, {"market": "TPW-PERP", "direction": "lend", "amount": "1"}, "direction"),
        ("POST", TRANSFERS, {"market": "BTC-PERP", "direction": "deposit", "amount": "1"}, "market"),
        ("PATCH", "/v1/margin", {"market": "TPW-PERP", "leverage": 6}, "leverage"),
        ("PATCH", "/v1/margin", {"market": "TPW-PERP", "leverage": 0}, "leverage"),
        ("PATCH", "/v1/margin", {"market": "TPW-PERP", "margin_mode": "portfolio"}, "margin_mode"),
        ("GET", "/v1/margin?market=BTC-PERP", None, "market"),
        ("GET", "/v1/funding?limit=0", None, "limit"),
    ],
)
def test_bad_margin_requests_are_4xx_naming_the_field(
    traders: tuple[Onboarded, Onboarded], method: str, path: str, body: Any, field: str
) -> None:
    response = traders[0].sandbox.request(method, path, body)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


def test_funding_and_liquidations_are_readable_by_their_owner_only(
    traders: tuple[Onboarded, Onboarded], perp: Perp
) -> None:
    a, b = traders
    assert a.sandbox.post(ORDERS, order("buy", "2.5", "1000")).status_code == 201  # 2,500 tUSD on 1,000
    assert b.sandbox.post(ORDERS, order("sell", "2.5", "1000", time_in_force="ioc")).status_code == 201
    market = perp(False)
    now = market.clock()
    market.clock = lambda: now + 9 * HOUR  # the clock is input: an interval has passed
    market.price_round(25_000)
    (paid,) = a.sandbox.get("/v1/funding").json()["data"]
    (received,) = b.sandbox.get("/v1/funding").json()["data"]
    assert (paid["kind"], paid["rate_ppm"]) == ("funding_paid", 100)  # the interest rate: longs pay
    assert paid["amount"] == "-" + received["amount"] == "-0.25"
    market.price_round(15_500)  # the index falls 38 %: a is under maintenance, no bid: ADL against b
    feed = a.sandbox.get("/v1/liquidations").json()["data"]
    kinds = [item["kind"] for item in feed][::-1]
    assert kinds[:2] == ["margin_call", "liquidation_started"]
    assert "deleveraged" in kinds or "taken_over" in kinds
    assert a.sandbox.get("/v1/positions").json()["data"][0]["size"] == "0"
    first = a.sandbox.get("/v1/liquidations?limit=1").json()
    rest = a.sandbox.get(f"/v1/liquidations?limit=50&cursor={first['next_cursor']}").json()
    assert first["data"] + rest["data"] == feed
    assert b.sandbox.get("/v1/liquidations").json()["data"] == []
    cooling = a.sandbox.post(ORDERS, order("buy", "1.55", "10"))  # a may not open again yet
    assert cooling.status_code == 409, cooling.text
    assert cooling.json()["type"].endswith("liquidation-cooldown")
    assert b.sandbox.post(ORDERS, order("sell", "1.55", "10")).status_code == 201  # b was not liquidated
    for outsider in (a.live, b.live):
        assert outsider.get("/v1/funding").json()["data"] == []
        assert outsider.get("/v1/positions").json()["data"] == []


def test_a_key_without_the_scope_is_refused(merchant_a: Onboarded) -> None:
    issued = merchant_a.sandbox.post(
        f"/v1/merchants/{merchant_a.id}/api-keys", {"mode": "sandbox", "scopes": ["payments:read"]}
    )
    assert issued.status_code == 201, issued.text
    narrow = type(merchant_a.sandbox)(merchant_a.sandbox.client, issued.json()["token"])
    for method, path, body in (
        ("GET", "/v1/positions", None),
        ("GET", "/v1/margin", None),
        ("GET", "/v1/funding", None),
        ("GET", "/v1/liquidations", None),
        ("POST", TRANSFERS, {"market": "TPW-PERP", "direction": "deposit", "amount": "1"}),
        ("PATCH", "/v1/margin", {"market": "TPW-PERP", "leverage": 2}),
        ("POST", ORDERS, order("buy", "2.5", "1")),
    ):
        response = narrow.request(method, path, body)
        assert response.status_code == 403, (path, response.text)
