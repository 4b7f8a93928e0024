"""Expiry through the API: once the books' clock reaches a series' expiry, the settlement round pays the
long what the short owes at the index (intrinsic value, cash in tUSD) exactly once, even when the round runs
again; the short's margin comes back; the series reads `settled`; and an order on it is a 422 naming the
market. Both ledger backends."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fastapi import FastAPI

from api.app import create_app
from api.settings import ApiSettings
from ledger.check import verify
from tests.api.merchants.conftest import Onboarded
from tests.api.options.test_routes import CALL, ORDERS, POSITIONS, SERIES, order, set_index
from tests.api.orders.conftest import Fund, balances
from tests.helpers.policy import Clock
from tests.helpers.problems import fields_of, problem_of

EXPIRY_US = int(datetime(2027, 3, 26, 8, tzinfo=UTC).timestamp()) * 1_000_000
"""`CALL`'s expiry (config/options/series.yaml), in µs."""


@pytest.fixture
def app(api_settings: ApiSettings) -> FastAPI:
    """No background settlement round: the test runs it when it has moved the clock."""
    return create_app(api_settings.model_copy(update={"options_settlement_interval_seconds": 0}))


def tusd(caller_balances: dict[str, tuple[str, str]]) -> Decimal:
    return Decimal(caller_balances["tUSD"][0])


def test_an_expired_series_settles_in_cash_once_and_gives_the_margin_back(
    app: FastAPI, merchant_a: Onboarded, merchant_b: Onboarded, fund: Fund
) -> None:
    clock = Clock(EXPIRY_US - 86_400 * 1_000_000)  # a day before the expiry
    app.state.options_clock = clock
    a, b = merchant_a, merchant_b
    for merchant in (a, b):
        fund(merchant, False, 100, 10_000)
    set_index(a, b, "2.40")
    assert b.sandbox.post(ORDERS, order(CALL, "sell", "0.30", "2")).status_code == 201
    bought = a.sandbox.post(ORDERS, order(CALL, "buy", "0.30", "2", time_in_force="ioc"))
    assert (bought.json()["status"], bought.json()["filled_qty"]) == ("filled", "2")
    set_index(a, b, "2.60")  # within the price band of 2.40, then the next step
    set_index(a, b, "2.85")  # the underlying at the expiry: the 2.50 call is worth 0.35 a contract
    held = Decimal(b.sandbox.get(POSITIONS).json()["margin"]["held"])
    assert held > 0
    long_before, short_before = tusd(balances(a.sandbox)), tusd(balances(b.sandbox))
    venues = app.state.spot_markets.options

    assert venues.settle_due() == []  # not expired yet: nothing moves
    clock.now = EXPIRY_US
    late = a.sandbox.post(ORDERS, order(CALL, "buy", "0.30", "1"))
    assert fields_of(problem_of(late, 422, "validation-error")) == ["market"]
    (settled,) = [s for s in venues.settle_due() if s.series_id == f"{CALL}.sandbox"]
    assert settled.per_contract == 350_000  # 0.35 tUSD in minor units
    assert (settled.paid_by_shorts, settled.shortfall) == (700_000, 0)

    assert tusd(balances(a.sandbox)) == long_before + Decimal("0.70")
    assert tusd(balances(b.sandbox)) == short_before + held - Decimal("0.70")
    assert b.sandbox.get(POSITIONS).json()["margin"]["held"] == "0"
    series = {item["id"]: item for item in a.sandbox.get(SERIES).json()["data"]}
    assert series[CALL]["status"] == "settled"

    assert [
        s for s in venues.settle_due() if s.series_id == f"{CALL}.sandbox"
    ] == []  # a second round: nothing again
    assert tusd(balances(a.sandbox)) == long_before + Decimal("0.70")
    assert tusd(balances(b.sandbox)) == short_before + held - Decimal("0.70")
    assert verify(app.state.engine) == []
