"""Parent orders survive a restart: a slice the API died in the middle of is finished by the next API on
the same database and journals, and nothing is executed twice (the child's id is the same, the book
knows it, and its fill is read back from the journal's replay)."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.routing.execution import Executed
from api.routing.runner import ParentOrders
from api.settings import ApiSettings
from tests.api.merchants.conftest import Caller, Onboarded
from tests.api.orders.conftest import Fund
from tests.api.routing.conftest import RECORDING_START, ManualClock

PARENTS = "/v1/parent-orders"
ORDERS = "/v1/orders"


class Crash(BaseException):
    """The process dying at a chosen point (nothing after it runs, nothing catches it)."""


class CrashAfterSending(ParentOrders):
    """Dies once a book child has been placed, before its result is recorded."""

    @staticmethod
    def _record(leg: dict[str, Any], executed: Executed) -> None:
        if leg["venue"] == "book":
            raise Crash
        ParentOrders._record(leg, executed)


class CrashAfterClaim(ParentOrders):
    """Dies right after claiming a slice, before any leg is sent."""

    def _run_leg(self, *args: Any) -> None:
        raise Crash


def _restarted(api_settings: ApiSettings) -> tuple[TestClient, FastAPI]:
    app = create_app(api_settings.model_copy(update={"routing_interval_seconds": 0}))
    client = TestClient(app)
    client.__enter__()
    app.state.routing_clock = ManualClock(RECORDING_START)
    return client, app


@pytest.mark.parametrize("crashing", [CrashAfterSending, CrashAfterClaim])
def test_a_slice_interrupted_by_a_crash_finishes_after_a_restart_without_a_second_child(
    app: Any,
    client: TestClient,
    api_settings: ApiSettings,
    merchant_a: Onboarded,
    merchant_b: Onboarded,
    fund: Fund,
    clock: ManualClock,
    crashing: type[ParentOrders],
) -> None:
    for merchant in (merchant_a, merchant_b):
        fund(merchant, False, 100, 10_000)
    merchant_b.sandbox.post(ORDERS, {"market": "TPW-tUSD", "side": "sell", "price": "2.48", "qty": "4"})
    body = {
        "market": "TPW-tUSD",
        "side": "buy",
        "qty": "6",
        "limit_price": "2.48",  # the book only: the outside venue asks 2.49 and up
        "strategy": "twap",
        "duration_seconds": 120,
        "slices": 2,
    }
    created = merchant_a.sandbox.post(PARENTS, body).json()
    state = app.state
    state.parent_orders = crashing(state.engine, state.spot_markets, state.parent_orders.venues, clock)
    with pytest.raises(Crash):
        state.parent_orders.run_due()
    client.__exit__(None, None, None)  # the API goes down (the spot markets close their journals)

    restarted, restarted_app = _restarted(api_settings)
    try:
        a = Caller(restarted, merchant_a.sandbox.token)
        b = Caller(restarted, merchant_b.sandbox.token)
        assert restarted_app.state.parent_orders.run_due() == 1  # the interrupted slice, finished
        parent = a.get(f"{PARENTS}/{created['id']}").json()
        first = parent["slices"][0]
        assert (first["status"], first["filled_qty"]) == ("done", "3")
        assert [leg["status"] for leg in first["legs"]] == ["done"]
        assert parent["filled_qty"] == "3"
        maker = b.get(ORDERS).json()["data"][0]
        assert maker["filled_qty"] == "3"  # one child of 3 lots traded, once
        assert restarted_app.state.parent_orders.run_due() == 0
    finally:
        restarted.__exit__(None, None, None)
