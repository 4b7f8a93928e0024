"""Fixtures of the orders routes' tests: two onboarded merchants (sandbox and live keys), and funding of a
merchant's spot accounts in one mode straight on the ledger (deposits are another issue's)."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from api.orders.runtime import spec_for, trader_of
from api.settings import ApiSettings
from ledger.accounts import create_accounts
from ledger.model import AccountSpec, OwnerKind, TransferSpec
from ledger.transfers import create_transfer
from matching.markets import TPW_TUSD
from matching.spot.accounts import trader_account, trader_specs
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

Fund = Callable[[Onboarded, bool, int, int], None]


@pytest.fixture
def fund(client: TestClient, api_settings: ApiSettings) -> Fund:
    """`fund(merchant, livemode, tpw, tusd)`: whole TPW and tUSD into the merchant's spot accounts."""

    def fund_(merchant: Onboarded, livemode: bool, tpw: int, tusd: int) -> None:
        engine = create_engine(api_settings.database_url)
        trader = trader_of(Tenant(merchant.id, livemode))
        market = spec_for(TPW_TUSD, livemode)
        create_accounts(engine, trader_specs(market, trader))
        for currency, amount in ((market.base, tpw), (market.quote, tusd)):
            source = 7_000 + ord(currency[0])
            create_accounts(engine, [AccountSpec(source, currency, OwnerKind.TREASURY, "test-funding")])
            outcome = create_transfer(
                engine,
                TransferSpec(
                    reference=f"fund:{merchant.id}:{livemode}:{currency}",
                    debit_account_id=source,
                    credit_account_id=trader_account(trader, currency),
                    amount=amount * 1_000_000,
                    currency=currency,
                ),
            )
            assert outcome.ok, outcome
        engine.dispose()

    return fund_
