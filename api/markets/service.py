"""The market data's work, shared by `/v1/markets`, its stream and the paper-trading funds: the tenant's
market, and the views of levels, trades and balances as decimal strings."""

from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

from api.errors import NotFound
from api.markets import schemas
from api.orders.runtime import SpotMarkets, trader_of
from api.perps.runtime import PERP_MARKETS, TPW_PERP, PerpMarkets
from ledger.accounts import lookup_accounts
from ledger.transaction import Database
from matching.engine import Side
from matching.markets import MarketSpec, markets
from matching.markets.spec import units_text
from matching.perp_market.text import PerpUnits
from matching.spot.accounts import trader_account
from matching.spot.feed import MarketData
from matching.spot.market import SpotMarket
from matching.spot.tape import TapeTrade
from payments.merchants.tenant import Tenant

QUOTE_NAMES: Final = {"QTU": "tUSD"}
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


class MarketNotFound(NotFound, problem="market-not-found", title="Market not found"):
    """No market of this id."""


def time_of(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def open_market(spot_markets: SpotMarkets, tenant: Tenant, market_id: str) -> tuple[SpotMarket, MarketSpec]:
    """The market of the tenant's mode (opened if it was not), and its spec as clients know it."""
    market = spot_markets.get(market_id, tenant.livemode)
    if market is None:
        raise MarketNotFound(f"no market {market_id!r}")
    return market, markets()[market_id]


class Units(Protocol):
    """A market's ticks and lots as decimal strings: a spot `MarketSpec` or the perpetual's `PerpUnits`."""

    @property
    def id(self) -> str: ...

    def price_text(self, ticks: int) -> str: ...

    def qty_text(self, lots: int) -> str: ...


PERP_UNITS: Final = PerpUnits(TPW_PERP)
"""TPW-PERP as clients know it (the sandbox copy's id is the listed one too)."""


def open_market_data(state: Any, tenant: Tenant, market_id: str) -> tuple[MarketData, Units]:
    """The book and tape of any listed market (spot or TPW-PERP) in the tenant's mode, and its units."""
    if market_id in PERP_MARKETS:
        perps: PerpMarkets = state.perp_markets
        return perps.get(tenant.livemode), PERP_UNITS
    return open_market(state.spot_markets, tenant, market_id)


def level_views(spec: Units, levels: list[tuple[int, int]]) -> list[schemas.Level]:
    """(ticks, lots) levels as decimal strings."""
    return [schemas.Level(price=spec.price_text(price), qty=spec.qty_text(lots)) for price, lots in levels]


def trade_view(spec: Units, trade: TapeTrade) -> schemas.TradeOut:
    return schemas.TradeOut(
        id=f"{trade.seq}-{trade.index}",
        price=spec.price_text(trade.price),
        qty=spec.qty_text(trade.qty),
        taker_side="buy" if trade.taker_side == Side.BUY else "sell",
        time=time_of(trade.ts),
    )


def balances_view(
    market: SpotMarket, spec: MarketSpec, tenant: Tenant, database: Database
) -> schemas.Balances:
    """The tenant's balances in `market`, its accounts read on `database` (a transaction that just moved
    them, or the market's engine). `held` is what the tenant's money is reserved for and not yet spent:
    its open orders' reservations in this market's escrow, and its pending outgoing transfers (a routed
    leg's hold, `api.routing.postings`)."""
    trader = trader_of(tenant)
    held = market.held(trader)
    accounts = lookup_accounts(database, [trader_account(trader, currency) for currency in held])
    data = []
    for currency, amount in held.items():
        account = accounts.get(trader_account(trader, currency))
        decimals = spec.base_decimals if currency == spec.base else spec.quote_decimals
        available = account.balances.available if account is not None else 0
        pending = account.debits_pending if account is not None else 0
        data.append(
            schemas.Balance(
                currency=QUOTE_NAMES.get(currency, currency),
                available=units_text(available, decimals),
                held=units_text(amount + pending, decimals),
            )
        )
    return schemas.Balances(market=spec.id, livemode=tenant.livemode, data=data)
