"""Fixtures of the pre-trade tests: the app on a limits file of the test's own (small figures, so each
limit is reached with a few lots), funded merchants, and a view of what a merchant's trader holds."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine

from api.app import create_app
from api.orders.runtime import spec_for, trader_of
from api.settings import ApiSettings
from ledger.accounts import lookup_account
from matching.markets import TPW_TUSD
from matching.spot.accounts import escrow_account, trader_account
from payments.merchants.tenant import Tenant
from tests.api.merchants.conftest import Onboarded
from tests.api.orders.conftest import Fund

ORDERS = "/v1/orders"
SWITCHES = "/v1/risk/kill-switches"
T0 = 1_900_000_000
LIMITS = """version: 1
rate_limit: {per_second: 50, burst: 100}
defaults:
  max_position_lots: 1_000
  max_order_lots: 1_000
  max_order_notional: 1_000_000_000_000
  price_band_bps: 5_000
  market_protection_bps: 500
  cooldown_seconds: 300
markets:
  TPW-tUSD:
    max_position_lots: 30
    max_order_lots: 20
    max_order_notional: 100_000_000  # 100 tUSD
    price_band_bps: 1_000
"""
"""TPW-tUSD: one lot is 1 TPW, one tick 0.01 tUSD; 20 lots at 5.00 tUSD are exactly 100 tUSD."""


def order(side: str, price: str, qty: str, **extra: Any) -> dict[str, Any]:
    return {"market": "TPW-tUSD", "side": side, "price": price, "qty": qty, **extra}


@pytest.fixture
def limits() -> str:
    """The limits file's text (a module overrides this fixture for its own figures)."""
    return LIMITS


@pytest.fixture
def app(api_settings: ApiSettings, tmp_path: Path, limits: str) -> FastAPI:
    """The app on the test's limits file (`api_settings` itself is left as it is: its database is
    parametrized per backend, which an override of the same name would hide from pytest)."""
    path = tmp_path / "pretrade.yaml"
    path.write_text(limits)
    return create_app(api_settings.model_copy(update={"pretrade_limits_path": path}))


@pytest.fixture
def ledger(api_settings: ApiSettings) -> Iterator[Engine]:
    engine = create_engine(api_settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def traders(merchant_a: Onboarded, merchant_b: Onboarded, fund: Fund) -> tuple[Onboarded, Onboarded]:
    """Merchants A and B, each with 100 TPW and 10,000 tUSD in the sandbox."""
    for merchant in (merchant_a, merchant_b):
        fund(merchant, False, 100, 10_000)
    return merchant_a, merchant_b


Holdings = Callable[[Onboarded], tuple[int, int, int, int]]


@pytest.fixture
def holdings(ledger: Engine) -> Holdings:
    """`holdings(merchant)`: its sandbox trader's TPW and tUSD, and the sandbox market's escrow of each."""
    market = spec_for(TPW_TUSD, False)

    def balance(account_id: int) -> int:
        account = lookup_account(ledger, account_id)
        return 0 if account is None else account.balances.posted

    def held(merchant: Onboarded) -> tuple[int, int, int, int]:
        trader = trader_of(Tenant(merchant.id, False))
        return (
            balance(trader_account(trader, market.base)),
            balance(trader_account(trader, market.quote)),
            balance(escrow_account(market, market.base)),
            balance(escrow_account(market, market.quote)),
        )

    return held


@pytest.fixture
def at(app: FastAPI) -> Callable[[int], None]:
    """`at(t)`: the app's risk clock stands at unix second `t` from now on."""

    def set_clock(moment: int) -> None:
        app.state.identity_clock = lambda: moment

    return set_clock
