"""`/v1/routes/quote` and `/v1/parent-orders`: the router's explained split over the book and the recorded
outside venue (no pool deployed here: named unavailable), TWAP and VWAP parents executed slice by slice
with book children on the spot market, idempotency, cancel, problems naming the field, outsiders 404."""

from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI

from ledger.check import verify
from tests.api.merchants.conftest import Onboarded
from tests.api.orders.conftest import Fund, balances
from tests.api.routing.conftest import ManualClock

QUOTE = "/v1/routes/quote"
PARENTS = "/v1/parent-orders"
ORDERS = "/v1/orders"
MINUTE = 60_000_000


def parent(**extra: Any) -> dict[str, Any]:
    body = {
        "market": "TPW-tUSD",
        "side": "buy",
        "qty": "12",
        "limit_price": "2.60",
        "strategy": "twap",
        "duration_seconds": 240,
        "slices": 4,
    }
    return {**body, **extra}


@pytest.fixture
def traders(merchant_a: Onboarded, merchant_b: Onboarded, fund: Fund) -> tuple[Onboarded, Onboarded]:
    for merchant in (merchant_a, merchant_b):
        fund(merchant, False, 100, 10_000)
    return merchant_a, merchant_b


def test_a_quote_splits_across_book_and_outside_and_explains_each(
    traders: tuple[Onboarded, Onboarded], clock: ManualClock
) -> None:
    a, b = traders
    assert (
        b.sandbox.post(
            ORDERS, {"market": "TPW-tUSD", "side": "sell", "price": "2.48", "qty": "5"}
        ).status_code
        == 201
    )
    # the outside venue's first snapshot asks 8 at 2.49, 14 at 2.50 (fee 15 bps); the book 5 at 2.48 (20 bps)
    response = a.sandbox.post(QUOTE, {"market": "TPW-tUSD", "side": "buy", "qty": "10"})
    assert response.status_code == 200, response.text
    body = response.json()
    legs = {leg["venue"]: leg for leg in body["legs"]}
    assert legs["book"]["qty"] == "5"
    assert legs["book"]["reason"] == "depth_exhausted"
    assert legs["outside"]["qty"] == "5"
    assert legs["outside"]["average_price"] == "2.49"
    assert legs["pool"]["reason"] == "unavailable"  # nothing deployed in this test's registry
    # 5 × 2.48 + 0.2 % and 5 × 2.49 + 0.15 %, in tUSD
    book, outside = 5 * 2_480_000, 5 * 2_490_000
    assert body["total"] == str((book + book * 20 // 10_000 + outside + -(-outside * 15 // 10_000)) / 10**6)
    assert a.sandbox.get(ORDERS).json()["data"] == []  # a quote executes nothing


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"market": "TPW-tUSD", "side": "buy", "qty": "0.5"}, "qty"),
        ({"market": "TPW-tUSD", "side": "buy", "qty": "1", "limit_price": "2.505"}, "limit_price"),
        ({"market": "BTC-USD", "side": "buy", "qty": "1"}, "market"),
        ({"market": "TPW-tUSD", "side": "hold", "qty": "1"}, "side"),
        ({"market": "TPW-tUSD", "side": "buy", "qty": "100000"}, "qty"),  # more than all venues hold
    ],
)
def test_a_bad_quote_is_a_422_naming_the_field(
    traders: tuple[Onboarded, Onboarded], clock: ManualClock, body: dict[str, Any], field: str
) -> None:
    response = traders[0].sandbox.post(QUOTE, body)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"strategy": "iceberg"}, "strategy"),
        ({"slices": 0}, "slices"),
        ({"duration_seconds": 0}, "duration_seconds"),
        ({"limit_price": "-1"}, "limit_price"),
        ({"qty": "1.5"}, "qty"),
    ],
)
def test_a_bad_parent_is_a_422_naming_the_field(
    traders: tuple[Onboarded, Onboarded], clock: ManualClock, change: dict[str, Any], field: str
) -> None:
    response = traders[0].sandbox.post(PARENTS, parent(**change))
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_a_twap_parent_runs_its_slices_when_due_and_only_once(
    app: FastAPI, traders: tuple[Onboarded, Onboarded], clock: ManualClock
) -> None:
    a, b = traders
    b.sandbox.post(ORDERS, {"market": "TPW-tUSD", "side": "sell", "price": "2.48", "qty": "4"})
    created = a.sandbox.post(PARENTS, parent(), idempotency_key="twap-1")
    assert created.status_code == 201, created.text
    body = created.json()
    assert [piece["qty"] for piece in body["slices"]] == ["3", "3", "3", "3"]
    assert a.sandbox.post(PARENTS, parent(), idempotency_key="twap-1").json() == body  # replayed
    runner = app.state.parent_orders

    assert runner.run_due() == 1  # the first slice is due at the start
    assert runner.run_due() == 0  # and never again
    clock.now += MINUTE
    assert runner.run_due() == 1
    state = a.sandbox.get(f"{PARENTS}/{body['id']}").json()
    first, second = state["slices"][:2]
    assert (first["status"], first["filled_qty"], second["status"]) == ("done", "3", "done")
    assert state["filled_qty"] == "6"
    book_children = [leg for piece in (first, second) for leg in piece["legs"] if leg["venue"] == "book"]
    assert sum(int(leg["filled_qty"] or 0) for leg in book_children) == 4  # all the book's 4 lots at 2.48
    maker = b.sandbox.get(ORDERS).json()["data"][0]
    assert (maker["status"], maker["filled_qty"]) == ("filled", "4")

    canceled = a.sandbox.delete(f"{PARENTS}/{body['id']}")
    assert canceled.json()["status"] == "canceled"
    assert [piece["status"] for piece in canceled.json()["slices"]] == [
        "done",
        "done",
        "canceled",
        "canceled",
    ]
    clock.now += 10 * MINUTE
    assert runner.run_due() == 0
    assert a.sandbox.delete(f"{PARENTS}/{body['id']}").json()["status"] == "canceled"


def test_a_vwap_parent_follows_the_recorded_volume(
    app: FastAPI, traders: tuple[Onboarded, Onboarded], clock: ManualClock
) -> None:
    a, _ = traders
    # 20 minutes in 4 buckets of 5: the recording traded 4, 2, 1, 1 trades of 1-3 lots in its first four
    created = a.sandbox.post(PARENTS, parent(strategy="vwap", qty="20", duration_seconds=1200, slices=4))
    assert created.status_code == 201, created.text
    quantities = [int(piece["qty"]) for piece in created.json()["slices"]]
    # lots traded per 5 minutes: 1+2+3+1, 2+3, 3, 1 (qty 1 + (i + j) % 3 for trade j of snapshot i)
    # 20 × (7, 5, 3, 1) / 16 = 8.75, 6.25, 3.75, 1.25: the two .75 remainders get the 2 lots left
    assert quantities == [9, 6, 4, 1]


def test_outsiders_and_the_other_mode_see_404(
    traders: tuple[Onboarded, Onboarded], clock: ManualClock
) -> None:
    a, b = traders
    created = a.sandbox.post(PARENTS, parent()).json()
    path = f"{PARENTS}/{created['id']}"
    for outsider in (b.sandbox, b.live, a.live):
        assert outsider.get(path).status_code == 404
        assert outsider.delete(path).status_code == 404
    assert a.sandbox.get(path).json()["status"] == "active"


def test_keys_without_the_orders_scopes_are_refused(
    traders: tuple[Onboarded, Onboarded], operator: Any, clock: ManualClock
) -> None:
    desk = operator("merchants:admin")
    assert desk.post(QUOTE, {"market": "TPW-tUSD", "side": "buy", "qty": "1"}).status_code == 403
    assert desk.post(PARENTS, parent()).status_code == 403
    anonymous = type(desk)(desk.client, None)
    assert anonymous.post(QUOTE, {"market": "TPW-tUSD", "side": "buy", "qty": "1"}).status_code == 401


def test_a_live_parent_never_routes_to_the_recorded_venue(
    app: FastAPI, merchant_a: Onboarded, merchant_b: Onboarded, fund: Fund, clock: ManualClock
) -> None:
    """The outside venue is a recording, with nobody behind it to take live money: a live quote names it
    unavailable and a live parent trades elsewhere (here the book: no pool in this test's registry)."""
    for merchant in (merchant_a, merchant_b):
        fund(merchant, True, 100, 10_000)
    merchant_b.live.post(ORDERS, {"market": "TPW-tUSD", "side": "sell", "price": "2.55", "qty": "1"})
    live_quote = merchant_a.live.post(QUOTE, {"market": "TPW-tUSD", "side": "buy", "qty": "1"}).json()
    legs = {leg["venue"]: leg for leg in live_quote["legs"]}
    assert (legs["outside"]["reason"], legs["book"]["qty"]) == ("unavailable", "1")
    created = merchant_a.live.post(PARENTS, parent(qty="2", slices=1)).json()
    assert app.state.parent_orders.run_due() == 1
    state = merchant_a.live.get(f"{PARENTS}/{created['id']}").json()
    (piece,) = state["slices"]
    # the outside venue asks 2.49 for 8: a sandbox parent would take it there; a live one takes the book's 1
    assert [(leg["venue"], leg["filled_qty"]) for leg in piece["legs"]] == [("book", "1")]
    assert (state["status"], state["filled_qty"]) == ("completed", "1")


def test_what_a_slice_leaves_unfilled_goes_with_the_next(
    app: FastAPI, merchant_a: Onboarded, merchant_b: Onboarded, fund: Fund, clock: ManualClock
) -> None:
    for merchant in (merchant_a, merchant_b):
        fund(merchant, True, 100, 10_000)
    created = merchant_a.live.post(PARENTS, parent(qty="4", slices=2, duration_seconds=120)).json()
    runner = app.state.parent_orders
    assert runner.run_due() == 1  # an empty book: nothing fills
    merchant_b.live.post(ORDERS, {"market": "TPW-tUSD", "side": "sell", "price": "2.55", "qty": "3"})
    clock.now += MINUTE
    assert runner.run_due() == 1
    state = merchant_a.live.get(f"{PARENTS}/{created['id']}").json()
    assert [(piece["qty"], piece["filled_qty"]) for piece in state["slices"]] == [("2", "0"), ("4", "3")]
    assert (state["status"], state["filled_qty"]) == ("completed", "3")  # the last slice's rest is left


def test_a_kill_switch_stops_a_parents_book_children(
    app: FastAPI, operator: Any, traders: tuple[Onboarded, Onboarded], clock: ManualClock
) -> None:
    """A parent's children pass the pre-trade checks of `/v1/orders`: a switch on the account stops them
    (the leg fails naming the problem, nothing trades) until it is released."""
    a, b = traders
    b.sandbox.post(ORDERS, {"market": "TPW-tUSD", "side": "sell", "price": "2.48", "qty": "6"})
    created = a.sandbox.post(PARENTS, parent(qty="6", slices=2, duration_seconds=120)).json()
    admin = operator("risk:admin")
    switch = {"kind": "account", "target": a.id, "reason": "compromised key"}
    assert admin.post("/v1/risk/kill-switches", switch).status_code == 201
    runner = app.state.parent_orders
    assert runner.run_due() == 1
    first = a.sandbox.get(f"{PARENTS}/{created['id']}").json()["slices"][0]
    book_legs = [leg for leg in first["legs"] if leg["venue"] == "book"]
    assert book_legs
    assert all(leg["status"] == "failed" for leg in book_legs)
    assert b.sandbox.get(ORDERS).json()["data"][0]["filled_qty"] == "0"
    assert admin.delete(f"/v1/risk/kill-switches/account/{a.id}").status_code == 200
    clock.now += MINUTE
    assert runner.run_due() == 1
    second = a.sandbox.get(f"{PARENTS}/{created['id']}").json()["slices"][1]
    assert any(leg["venue"] == "book" and leg["status"] == "done" for leg in second["legs"])


def test_outside_legs_move_the_sandbox_balances_by_what_they_traded(
    app: FastAPI, traders: tuple[Onboarded, Onboarded], clock: ManualClock
) -> None:
    """An outside leg is held before it is sent and settled at its fill: the trader's balances move by the
    lots and by the parent's total to the unit, nothing stays held, and the venue's clearing account took
    the other side (the ledger's check holds)."""
    a, _ = traders
    created = a.sandbox.post(PARENTS, parent(qty="10", slices=1)).json()  # the book is empty: all outside
    assert app.state.parent_orders.run_due() == 1
    state = a.sandbox.get(f"{PARENTS}/{created['id']}").json()
    assert [(leg["venue"], leg["status"]) for leg in state["slices"][0]["legs"]] == [("outside", "done")]
    assert state["filled_qty"] == "10"
    spent = Decimal(state["total"])  # 10 at 2.49 and 2.50, fee included: what the tUSD balance lost
    assert spent > 24
    assert balances(a.sandbox) == {"TPW": ("110", "0"), "tUSD": (str(10_000 - spent), "0")}
    assert verify(app.state.engine) == []


def test_a_leg_the_trader_cannot_pay_is_never_sent(
    app: FastAPI, merchant_a: Onboarded, fund: Fund, clock: ManualClock
) -> None:
    fund(merchant_a, False, 1, 5)  # 5 tUSD: not the ~25 ten TPW cost
    created = merchant_a.sandbox.post(PARENTS, parent(qty="10", slices=1)).json()
    assert app.state.parent_orders.run_due() == 1
    state = merchant_a.sandbox.get(f"{PARENTS}/{created['id']}").json()
    (leg,) = state["slices"][0]["legs"]
    assert (leg["venue"], leg["status"], leg["failure_reason"]) == ("outside", "failed", "insufficient_funds")
    assert (state["status"], state["filled_qty"]) == ("completed", "0")
    assert balances(merchant_a.sandbox) == {"TPW": ("1", "0"), "tUSD": ("5", "0")}
