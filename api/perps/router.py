"""`/v1/positions`, `/v1/margin` (read, change leverage and margin mode), `/v1/margin/transfers`
(collateral in and out), `/v1/funding` and `/v1/liquidations`: the perpetual's routes.

Thin routes over `api.perps.service`. Reads need a merchant's key with `orders:read`, changes
`orders:write` (the perpetual's orders go through `/v1/orders`, with the same scopes). The POST needs an
`Idempotency-Key`; the PATCH is idempotent by what it asks. A caller sees only its own trader, in its
key's mode: another merchant's positions and records are not reachable at all. Amounts, prices and
sizes are decimal strings.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.deps import IdempotencyDep, OrdersReader, OrdersWriter, SessionDep
from api.errors import problem_doc
from api.idempotency.route import idempotent_post
from api.pagination import DEFAULT_LIMIT, LIST_RESPONSES, CursorQuery, LimitQuery
from api.perps import schemas, service
from api.perps.pricing import pricing
from api.perps.runtime import TPW_PERP, PerpMarkets


@asynccontextmanager
async def perps_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The price loop over the perpetual markets (`app.state.perp_markets`, opened with the orders' markets
    by `api.orders.router`, whose lifespan is entered before this one)."""
    async with pricing(app.state.perp_markets, app.state.settings):
        yield


router = APIRouter(prefix="/v1", tags=["perpetuals"], lifespan=perps_lifespan)
MarketQuery = Annotated[str, Query(max_length=32, description="The perpetual market's id.")]
RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    422: problem_doc(
        "Invalid request: `errors` names the field (unknown market, an amount off the tUSD unit, a leverage "
        "above the cap, a withdrawal that would breach the initial margin), or `insufficient-funds`."
    ),
    503: problem_doc("The market stopped after a failed ledger posting (`market-unavailable`)."),
}


def _markets(request: Request) -> PerpMarkets:
    markets: PerpMarkets = request.app.state.perp_markets
    return markets


@router.get("/positions", summary="The caller's perpetual positions", responses=RESPONSES)
async def list_positions(request: Request, tenant: OrdersReader) -> schemas.Positions:
    """Scope `orders:read`. Size, entry, mark, unrealised and realised PnL, margin mode and leverage."""
    return await run_in_threadpool(service.positions, _markets(request), tenant)


@router.get("/margin", summary="The caller's margin in a perpetual market", responses=RESPONSES)
async def read_margin(
    request: Request, tenant: OrdersReader, market: MarketQuery = TPW_PERP.symbol
) -> schemas.MarginOut:
    """Scope `orders:read`. Wallet, isolated margin, equity, initial and maintenance margin at the mark."""
    return await run_in_threadpool(service.margin, _markets(request), tenant, market)


@router.patch("/margin", summary="Change leverage or margin mode", responses=RESPONSES)
async def change_margin(
    request: Request, body: schemas.MarginSettings, tenant: OrdersWriter
) -> schemas.MarginOut:
    """Scope `orders:write`. Leverage up to the market's cap (only if the margin held still covers the
    position at it); the margin mode only while the position is flat."""
    return await run_in_threadpool(service.configure, _markets(request), tenant, body)


@idempotent_post(
    router,
    "/margin/transfers",
    schemas.MarginTransferOut,
    "Move collateral into or out of the margin",
    RESPONSES,
    HTTPStatus.CREATED,
)
async def create_margin_transfer(
    request: Request,
    body: schemas.MarginTransferCreate,
    tenant: OrdersWriter,
    idempotency: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Scope `orders:write`. A deposit moves tUSD from the caller's balance into the margin; a withdrawal
    moves it back, refused (422 naming `amount`) if what stays would not cover the initial margin."""
    markets = _markets(request)
    return await idempotency.run(
        lambda progress: run_in_threadpool(service.transfer, markets, session, tenant, body, progress),
        body=body,
        status_code=HTTPStatus.CREATED,
    )


def _feed(path: str, summary: str, kinds: tuple[str, ...], description: str) -> None:
    """A list route over the caller's records of `kinds`, newest first (funding, liquidations)."""

    @router.get(
        path,
        name=f"list_{path.strip('/')}",
        summary=summary,
        description=description,
        responses={**RESPONSES, **LIST_RESPONSES},
    )
    async def list_records(
        request: Request,
        tenant: OrdersReader,
        session: SessionDep,
        limit: LimitQuery = DEFAULT_LIMIT,
        cursor: CursorQuery = None,
    ) -> schemas.Records:
        return await run_in_threadpool(
            service.records, _markets(request), session, tenant, kinds, cursor, limit
        )


_feed(
    "/funding",
    "The caller's funding payments, newest first",
    service.FUNDING_KINDS,
    "Scope `orders:read`. One record per interval the caller had a position in: `amount` negative when it "
    "paid, positive when it received; `rate_ppm` the interval's rate.",
)
_feed(
    "/liquidations",
    "The caller's margin calls and liquidation steps, newest first",
    service.LIQUIDATION_FEED,
    "Scope `orders:read`. Margin calls, liquidations started (partial or full) and filled, take-overs by "
    "the insurance fund, auto-deleveraging and insurance draws, each with its reason.",
)
