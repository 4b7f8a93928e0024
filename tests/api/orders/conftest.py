"""Fixtures of the orders routes' tests: two onboarded merchants (sandbox and live keys), and funding of a
merchant's spot accounts in one mode straight on the ledger (deposits are another issue's)."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from api.orders.runtime import spec_for, trader_of
from api.settings import ApiSettings
from matching.markets import TPW_TUSD
from payments.merchants.tenant import Tenant
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
from tests.matching.spot.ledger_view import fund as fund_trader

Fund = Callable[[Onboarded, bool, int, int], None]


@pytest.fixture
def fund(client: TestClient, api_settings: ApiSettings) -> Fund:
    """`fund(merchant, livemode, tpw, tusd)`: whole TPW and tUSD into the merchant's spot accounts."""

    def fund_(merchant: Onboarded, livemode: bool, tpw: int, tusd: int) -> None:
        engine = create_engine(api_settings.database_url)
        trader = trader_of(Tenant(merchant.id, livemode))
        fund_trader(engine, spec_for(TPW_TUSD, livemode), trader, tpw=tpw, tusd=tusd)
        engine.dispose()

    return fund_


def balances(caller: Caller, market: str = "TPW-tUSD") -> dict[str, tuple[str, str]]:
    """The caller's spot balances in its key's mode: currency -> (available, held), decimal strings."""
    data = caller.get(f"/v1/markets/{market}/balances").json()["data"]
    return {b["currency"]: (b["available"], b["held"]) for b in data}
