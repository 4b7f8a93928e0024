"""`/v1/options`: the option series with their marks and greeks, and the caller's positions with margin.

Reads for a merchant's key with `orders:read`, of the key's mode (a sandbox key sees the sandbox venue,
priced off the sandbox spot book). Orders on a series go through `POST /v1/orders` with the series id as
`market`. Every number is a decimal string. A caller only ever sees its own positions.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.deps import OrdersReader
from api.options import schemas, service
from api.orders.runtime import SpotMarkets
from api.periodic import every

log = logging.getLogger("api.options")


@asynccontextmanager
async def options_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Settle expired series every `options_settlement_interval_seconds` (the venues are the orders
    router's: opened with the spot markets, closed with them)."""

    def round_() -> int:
        markets: SpotMarkets | None = getattr(app.state, "spot_markets", None)
        return 0 if markets is None else len(markets.options.settle_due())

    async with every(
        "options settlement", app.state.settings.options_settlement_interval_seconds, round_, log
    ):
        yield


router = APIRouter(prefix="/v1/options", tags=["options"], lifespan=options_lifespan)

RESPONSES: Final[dict[int | str, dict[str, Any]]] = {**KEY_RESPONSES}


def _venues(request: Request) -> SpotMarkets:
    markets: SpotMarkets = request.app.state.spot_markets
    return markets


@router.get("/series", summary="List the option series with marks and greeks", responses=RESPONSES)
async def list_series(request: Request, tenant: OrdersReader) -> schemas.SeriesList:
    """Scope `orders:read`."""
    return await run_in_threadpool(service.series, _venues(request).options, tenant)


@router.get("/positions", summary="The caller's option positions and margin", responses=RESPONSES)
async def read_positions(request: Request, tenant: OrdersReader) -> schemas.Positions:
    """Scope `orders:read`."""
    return await run_in_threadpool(service.positions, _venues(request).options, tenant)
