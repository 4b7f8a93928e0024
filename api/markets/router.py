"""`/v1/markets`: the markets (the spot markets and the perpetual TPW-PERP), their books, recent trades and
candles (issue 13, point 8, REST half).

Market data of the key's mode (a sandbox key sees the sandbox book), for a merchant's key with
`orders:read`. The book is read from the engine under the market's lock; trades and candles from the
market's tape, rebuilt from the journal at open (`matching.spot.tape`): the newest 10,000 trades. The
perpetual serves the same views from its own book and tape (`matching.spot.feed.MarketData`); balances
are the spot markets' only (a perpetual's margin is `/v1/perps`).
"""

from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.deps import OrdersReader
from api.errors import problem_doc
from api.markets import schemas
from api.markets.service import (
    PERP_UNITS,
    QUOTE_NAMES,
    Units,
    balances_view,
    level_views,
    open_market,
    open_market_data,
    time_of,
    trade_view,
)
from matching.engine import Side
from matching.markets import MarketSpec, markets
from matching.spot.feed import MarketData
from payments.merchants.tenant import Tenant

router = APIRouter(prefix="/v1/markets", tags=["markets"])

MarketPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,32}$", description="The market's id.")]
RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    404: problem_doc("No market of this id."),
    422: problem_doc("Invalid request; `errors` names each bad field."),
}
INTERVALS: Final = {"1m": 60, "5m": 300, "15m": 900, "1h": 3_600, "1d": 86_400}


def _open(request: Request, tenant: Tenant, market_id: str) -> tuple[MarketData, Units]:
    return open_market_data(request.app.state, tenant, market_id)


def _market_view(spec: MarketSpec) -> schemas.MarketOut:
    return schemas.MarketOut(
        id=spec.id,
        base=spec.base,
        quote=QUOTE_NAMES.get(spec.quote, spec.quote),
        tick=spec.price_text(1),
        lot=spec.qty_text(1),
        maker_fee_bps=spec.maker_fee_bps,
        taker_fee_bps=spec.taker_fee_bps,
    )


def _perp_view() -> schemas.MarketOut:
    """TPW-PERP: TPW priced in tUSD, margined and settled in tUSD."""
    return schemas.MarketOut(
        id=PERP_UNITS.id,
        base="TPW",
        quote="tUSD",
        tick=PERP_UNITS.price_text(1),
        lot=PERP_UNITS.qty_text(1),
        maker_fee_bps=PERP_UNITS.spec.maker_fee_bps,
        taker_fee_bps=PERP_UNITS.spec.taker_fee_bps,
    )


@router.get("", summary="List the markets", responses=RESPONSES)
async def list_markets(_tenant: OrdersReader) -> schemas.Markets:
    """Scope `orders:read`. The spot markets, then the perpetual."""
    return schemas.Markets(data=[*(_market_view(spec) for spec in markets().values()), _perp_view()])


@router.get("/{market_id}/book", summary="A market's best levels", responses=RESPONSES)
async def read_book(
    request: Request,
    market_id: MarketPath,
    tenant: OrdersReader,
    depth: Annotated[int, Query(ge=1, le=100, description="Levels a side.")] = 20,
) -> schemas.BookOut:
    """Scope `orders:read`. Aggregated by price, what the book shows."""
    market, spec = await run_in_threadpool(_open, request, tenant, market_id)

    return schemas.BookOut(
        market=market_id,
        livemode=tenant.livemode,
        bids=level_views(spec, market.depth(Side.BUY, depth)),
        asks=level_views(spec, market.depth(Side.SELL, depth)),
    )


@router.get("/{market_id}/trades", summary="A market's recent trades", responses=RESPONSES)
async def list_trades(
    request: Request,
    market_id: MarketPath,
    tenant: OrdersReader,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many, newest first.")] = 100,
) -> schemas.Trades:
    """Scope `orders:read`."""
    market, spec = await run_in_threadpool(_open, request, tenant, market_id)
    return schemas.Trades(
        market=market_id,
        data=[trade_view(spec, trade) for trade in market.tape.recent(limit)],
    )


@router.get("/{market_id}/candles", summary="A market's candles", responses=RESPONSES)
async def list_candles(
    request: Request,
    market_id: MarketPath,
    tenant: OrdersReader,
    interval: Annotated[
        Literal["1m", "5m", "15m", "1h", "1d"], Query(description="The candle's span.")
    ] = "1m",
    limit: Annotated[int, Query(ge=1, le=1000, description="How many, newest first.")] = 100,
) -> schemas.Candles:
    """Scope `orders:read`. Open, high, low, close and volume of each interval that saw a trade."""
    market, spec = await run_in_threadpool(_open, request, tenant, market_id)
    return schemas.Candles(
        market=market_id,
        interval=interval,
        data=[
            schemas.CandleOut(
                start=time_of(candle.start),
                open=spec.price_text(candle.open),
                high=spec.price_text(candle.high),
                low=spec.price_text(candle.low),
                close=spec.price_text(candle.close),
                volume=spec.qty_text(candle.volume),
                trades=candle.trades,
            )
            for candle in market.tape.candles(INTERVALS[interval] * 1_000_000, limit)
        ],
    )


@router.get("/{market_id}/balances", summary="The caller's spot balances", responses=RESPONSES)
async def read_balances(request: Request, market_id: MarketPath, tenant: OrdersReader) -> schemas.Balances:
    """Scope `orders:read`. Available (in the caller's spot accounts) and held by its open orders here."""
    market, spec = await run_in_threadpool(open_market, request.app.state.spot_markets, tenant, market_id)
    return await run_in_threadpool(balances_view, market, spec, tenant, market.database)
