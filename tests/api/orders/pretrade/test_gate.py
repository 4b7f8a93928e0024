"""The gate on a real spot market (no HTTP): the figures it reads (`exposure`, `reference_price`), a
market order given its protection price (how perpetual and option market orders will enter), and a
refusal raised as its problem before anything is held; SQLite and PostgreSQL."""

import pytest
from sqlalchemy import Engine

import risk.audit.schema
import risk.pretrade.schema
from api.orders.pretrade.gate import PretradeGate
from api.orders.pretrade.problems import OrderSize, PriceBand
from matching.engine import Kind, Place, Side, Tif
from matching.spot.accounts import trader_account
from matching.spot.market import SpotMarket
from risk.pretrade.errors import PretradeRefused
from risk.pretrade.limits import MarketLimits, OrderRate, PretradeConfig
from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)
from tests.ledger.conftest import engine  # noqa: F401  (fixture)
from tests.matching.spot.conftest import ledger, market, open_market  # noqa: F401  (fixtures)
from tests.matching.spot.ledger_view import balance

LIMITS = MarketLimits(
    max_position_lots=50,
    max_order_lots=10,
    max_order_notional=10**12,
    price_band_bps=1_000,
    market_protection_bps=500,
    cooldown_seconds=60,
)
CONFIG = PretradeConfig("test", "0", LIMITS, OrderRate(1.0, 1))


@pytest.fixture
def gate(ledger: Engine) -> PretradeGate:  # noqa: F811
    for metadata in (risk.audit.schema.metadata, risk.pretrade.schema.metadata):
        metadata.create_all(ledger)
    return PretradeGate(CONFIG, ledger, lambda: 1_900_000_000)


def place(order_id: int, account: int, side: Side, qty: int, price: int = 0, **extra: object) -> Place:
    kind = Kind.LIMIT if price else Kind.MARKET
    return Place(0, order_id, account, side, kind, qty, price, **extra)  # type: ignore[arg-type]


def test_a_market_order_is_refused_without_a_reference_then_priced_at_its_protection(
    gate: PretradeGate,
    market: SpotMarket,  # noqa: F811
) -> None:
    with pytest.raises(PretradeRefused) as raised:
        gate.check(market, "TPW-tUSD", "mch_1", 1, place(1, 1, Side.BUY, 1, tif=Tif.IOC))
    assert (raised.value.code, raised.value.field) == ("price-band", "kind")
    market.place(place(2, 1, Side.BUY, 3, 250))
    assert market.reference_price() == 0  # one-sided: no mid
    market.place(place(3, 2, Side.SELL, 1, 300))
    assert market.reference_price() == 275  # the mid
    market.place(place(4, 2, Side.SELL, 1, 250, tif=Tif.IOC))
    assert market.reference_price() == 250  # the last trade
    assert market.exposure(1) == (1, 2, 0)
    assert market.exposure(2) == (-1, 0, 1)
    buy = gate.check(market, "TPW-tUSD", "mch_1", 1, place(5, 1, Side.BUY, 1))
    sell = gate.check(market, "TPW-tUSD", "mch_2", 2, place(6, 2, Side.SELL, 1, tif=Tif.FOK))
    assert (buy.kind, buy.price, buy.tif) == (Kind.LIMIT, 262, Tif.IOC)  # 262.5 down
    assert (sell.kind, sell.price, sell.tif) == (Kind.LIMIT, 238, Tif.FOK)  # 237.5 up
    events = market.place(sell)
    assert [type(event).__name__ for event in events][:2] == ["Accepted", "Trade"]


def test_a_refusal_is_its_problem_and_holds_nothing(
    gate: PretradeGate,
    market: SpotMarket,  # noqa: F811
    ledger: Engine,  # noqa: F811
) -> None:
    def quote() -> int:
        return balance(ledger, trader_account(1, market.market.quote))

    before = quote()
    too_large = place(1, 1, Side.BUY, 11, 250)
    with (
        pytest.raises(OrderSize) as too_big,
        gate.admitting(market, "TPW-tUSD", "mch_1", 1, too_large) as admitted,
    ):
        market.place(admitted)
    assert too_big.value.extensions["limit"] == "10"
    assert (quote(), market.exposure(1)) == (before, (0, 0, 0))
    market.place(place(2, 1, Side.BUY, 1, 250))
    market.place(place(3, 2, Side.SELL, 1, 250, tif=Tif.IOC))
    before = quote()
    outside = place(4, 1, Side.BUY, 1, 276)
    with pytest.raises(PriceBand), gate.admitting(market, "TPW-tUSD", "mch_1", 1, outside) as admitted:
        market.place(admitted)
    assert (quote(), market.exposure(1)) == (before, (1, 0, 0))
    with gate.admitting(market, "TPW-tUSD", "mch_1", 1, place(5, 1, Side.BUY, 1, 275)) as admitted:
        market.place(admitted)
    assert market.exposure(1) == (1, 1, 0)
    assert quote() == before - market.market.reserve_quote(1, 275)
