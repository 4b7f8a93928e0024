"""`/v1/routes/quote` and `/v1/parent-orders`: the smart order router's answer, and TWAP/VWAP parents.

Thin routes over `api.routing.service`. The quote and reads need a merchant's key with `orders:read`,
parents `orders:write`; the POST needs an `Idempotency-Key` (a retry replays the first answer and never
schedules a second parent). A caller sees only its own parents in its key's mode: another's answer 404.
The parents' due slices run in the background every `routing_interval_seconds` (`api.routing.runner`).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import IdempotencyDep, OrdersReader, OrdersWriter, SessionDep
from api.errors import problem_doc
from api.idempotency.progress import Progress
from api.idempotency.route import idempotent_post
from api.ledger.schemas import LedgerId
from api.orders.router import AUTH_RESPONSES
from api.periodic import every
from api.routing import schemas, service
from api.routing.runner import ParentOrders, log, wall_micros
from api.routing.venues import LiveVenues


@asynccontextmanager
async def routing_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The parent orders' runner, on the spot markets the orders router opened, run every interval."""
    state = app.state
    runner = ParentOrders(
        state.engine,
        state.spot_markets,
        LiveVenues(state.settings),
        clock=lambda: getattr(state, "routing_clock", wall_micros)(),
        gate=lambda: getattr(state, "pretrade_gate", None),
    )
    state.parent_orders = runner
    async with every("parent order slices", state.settings.routing_interval_seconds, runner.run_due, log):
        yield


router = APIRouter(tags=["routing"], lifespan=routing_lifespan)

ParentIdPath = Annotated[LedgerId, Path(description="The parent order's id, as a decimal string.")]
NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {
    404: problem_doc("No parent order of this id is the caller's.")
}


def _runner(request: Request) -> ParentOrders:
    runner: ParentOrders = request.app.state.parent_orders
    return runner


@idempotent_post(
    router,
    "/v1/routes/quote",
    schemas.RouteQuoteOut,
    "Route an order across the venues, without executing",
    AUTH_RESPONSES,
)
async def quote_route(
    request: Request,
    body: schemas.RouteQuoteIn,
    tenant: OrdersReader,
    idempotency: IdempotencyDep,
) -> Response:
    """Scope `orders:read`. The split across the book, the Uniswap pool and the outside venue that costs
    least (price impact, fees, gas), with each venue's part and why; a 422 naming `qty` when the venues
    cannot fill it within the limit. Nothing is executed; a retry with the same Idempotency-Key answers the
    first quote (prices move: a new key asks again)."""
    runner = _runner(request)

    async def work(progress: Progress) -> schemas.RouteQuoteOut:
        return await run_in_threadpool(service.quote, runner.markets, runner, tenant, body)

    return await idempotency.run(work, body=body, status_code=HTTPStatus.OK)


@idempotent_post(
    router,
    "/v1/parent-orders",
    schemas.ParentOrderOut,
    "Schedule a TWAP or VWAP parent order",
    AUTH_RESPONSES,
    HTTPStatus.CREATED,
)
async def create_parent(
    request: Request,
    body: schemas.ParentOrderCreate,
    tenant: OrdersWriter,
    idempotency: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Scope `orders:write`. The schedule is written at once; each slice is routed when due, its book
    children placed on the spot market with the caller's funds."""
    runner = _runner(request)
    return await idempotency.run(
        lambda progress: run_in_threadpool(
            service.create, runner.markets, runner, session, tenant, body, progress
        ),
        body=body,
        status_code=HTTPStatus.CREATED,
    )


@router.get(
    "/v1/parent-orders/{parent_id}",
    summary="Read a parent order and its slices",
    responses={**AUTH_RESPONSES, **NOT_FOUND},
)
async def read_parent(
    parent_id: ParentIdPath, tenant: OrdersReader, session: SessionDep
) -> schemas.ParentOrderOut:
    """Scope `orders:read`."""
    return await run_in_threadpool(service.read, session, tenant, parent_id)


@router.delete(
    "/v1/parent-orders/{parent_id}",
    summary="Cancel a parent order",
    responses={**AUTH_RESPONSES, **NOT_FOUND},
)
async def cancel_parent(
    parent_id: ParentIdPath, tenant: OrdersWriter, session: SessionDep
) -> schemas.ParentOrderOut:
    """Scope `orders:write`. No further slice runs; one executing finishes. Repeating it is harmless."""
    return await run_in_threadpool(service.cancel, session, tenant, parent_id)
