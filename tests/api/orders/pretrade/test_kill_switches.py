"""`/v1/risk/kill-switches`: outsiders refused (no key, no scope, a merchant's key); a market's switch
cancels every resting order there (funds back) and refuses new ones until released; an account's switch
stops that merchant in both modes and no other; every change on the risk audit log."""

from typing import Any

import httpx
from sqlalchemy import Engine

from risk.audit import records, verify
from risk.pretrade.killswitch import ENGAGED, RELEASED
from tests.api.merchants.conftest import Caller, Onboarded
from tests.api.orders.conftest import Fund
from tests.api.orders.pretrade.conftest import ORDERS, SWITCHES, Holdings, order

MARKET = {"kind": "market", "target": "TPW-tUSD", "reason": "runaway quotes"}


def switch_of(merchant: Onboarded) -> dict[str, Any]:
    return {"kind": "account", "target": merchant.id, "reason": "compromised key"}


def refused_by_switch(response: httpx.Response, field: str) -> None:
    assert response.status_code == 409, response.text
    assert response.json()["type"] == "urn:tpwallet:problem:kill-switch-engaged"
    assert response.json()["errors"][0]["field"] == field


def test_outsiders_cannot_engage_list_or_release(
    client: httpx.Client, operator: Any, traders: tuple[Onboarded, Onboarded]
) -> None:
    a, _ = traders
    nobody = Caller(client, None)
    reader = operator("risk:read", "risk:evaluate", "merchants:admin")
    for caller, status in ((nobody, 401), (reader, 403), (a.sandbox, 403), (a.live, 403)):
        assert caller.post(SWITCHES, MARKET).status_code == status
        assert caller.post(SWITCHES, switch_of(a)).status_code == status  # not even on its own account
        assert caller.delete(f"{SWITCHES}/market/TPW-tUSD").status_code == status
    for caller, status in ((nobody, 401), (a.sandbox, 403), (operator("cases:read"), 403)):
        assert caller.get(SWITCHES).status_code == status
    assert reader.get(SWITCHES).json() == {"data": []}
    assert a.sandbox.post(ORDERS, order("buy", "2", "1")).status_code == 201  # nothing was engaged


def test_a_market_switch_cancels_what_rests_and_refuses_new_orders_until_released(
    operator: Any, traders: tuple[Onboarded, Onboarded], holdings: Holdings, ledger: Engine
) -> None:
    a, b = traders
    admin = operator("risk:admin")
    start = holdings(a), holdings(b)
    resting_a = a.sandbox.post(ORDERS, order("buy", "2", "10")).json()
    resting_b = b.sandbox.post(ORDERS, order("sell", "3", "5")).json()
    assert holdings(a) != start[0]  # the buy's quote is held
    engaged = admin.post(SWITCHES, MARKET)
    assert engaged.status_code == 201, engaged.text
    assert (engaged.json()["canceled_orders"], engaged.json()["kind"]) == (2, "market")
    for merchant, resting in ((a, resting_a), (b, resting_b)):
        assert merchant.sandbox.get(f"{ORDERS}/{resting['id']}").json()["status"] == "canceled"
    assert (holdings(a), holdings(b)) == start  # every reservation released
    refused_by_switch(a.sandbox.post(ORDERS, order("buy", "2", "1")), "market")
    refused_by_switch(b.live.post(ORDERS, order("sell", "2", "1")), "market")  # every mode
    assert (holdings(a), holdings(b)) == start
    again = admin.post(SWITCHES, {**MARKET, "reason": "again"})
    assert (again.status_code, again.json()["reason"], again.json()["canceled_orders"]) == (
        201,
        "runaway quotes",
        0,
    )
    listed = admin.get(SWITCHES).json()["data"]
    assert [(s["kind"], s["target"]) for s in listed] == [("market", "TPW-tUSD")]
    released = admin.delete(f"{SWITCHES}/market/TPW-tUSD")
    assert released.status_code == 200, released.text
    assert admin.delete(f"{SWITCHES}/market/TPW-tUSD").json()["type"].endswith("kill-switch-not-engaged")
    assert a.sandbox.post(ORDERS, order("buy", "2", "1")).status_code == 201
    with ledger.connect() as connection:
        logged = records(connection, ["kill-switch:market:TPW-tUSD"])
        assert [record.action for record in logged] == [ENGAGED, RELEASED]
        assert logged[0].details["reason"] == "runaway quotes"
        assert logged[0].actor.startswith("api-key:")
        assert verify(connection).ok


def test_an_account_switch_stops_that_merchant_in_both_modes_and_no_other(
    operator: Any, traders: tuple[Onboarded, Onboarded], fund: Fund, holdings: Holdings
) -> None:
    a, b = traders
    fund(a, True, 10, 100)
    admin = operator("risk:admin")
    resting_a = a.sandbox.post(ORDERS, order("buy", "2", "10")).json()
    live_a = a.live.post(ORDERS, order("buy", "2", "1")).json()
    resting_b = b.sandbox.post(ORDERS, order("buy", "2", "10")).json()
    engaged = admin.post(SWITCHES, switch_of(a))
    assert (engaged.status_code, engaged.json()["canceled_orders"]) == (201, 2)
    assert a.sandbox.get(f"{ORDERS}/{resting_a['id']}").json()["status"] == "canceled"
    assert a.live.get(f"{ORDERS}/{live_a['id']}").json()["status"] == "canceled"
    assert b.sandbox.get(f"{ORDERS}/{resting_b['id']}").json()["status"] == "open"
    refused_by_switch(a.sandbox.post(ORDERS, order("buy", "2", "1")), "account")
    refused_by_switch(a.live.post(ORDERS, order("buy", "2", "1")), "account")
    assert b.sandbox.post(ORDERS, order("buy", "2", "1")).status_code == 201
    assert admin.delete(f"{SWITCHES}/account/{a.id}").status_code == 200
    assert a.sandbox.post(ORDERS, order("buy", "2", "1")).status_code == 201


def test_an_unknown_target_is_refused_naming_it(operator: Any, traders: tuple[Onboarded, Onboarded]) -> None:
    admin = operator("risk:admin")
    for body in (
        {**MARKET, "target": "BTC-USD"},
        {"kind": "account", "target": "mch_nobody", "reason": "x"},
        {**MARKET, "kind": "desk"},
        {**MARKET, "reason": ""},
    ):
        response = admin.post(SWITCHES, body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] in ("target", "kind", "reason")
    assert admin.get(SWITCHES).json() == {"data": []}
