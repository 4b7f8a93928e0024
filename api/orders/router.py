"""`/v1/orders`: place, read, list, amend and cancel spot orders (limit orders on `matching.spot`).

Thin routes over `api.orders.service`. Reads need a merchant's key with `orders:read`, writes
`orders:write`; the POST needs an `Idempotency-Key` (a retry replays the first answer and never places a
second order); DELETE and PATCH are idempotent by what they ask. Prices and quantities are decimal
strings. A caller sees only its own orders in its key's mode: another's answer 404. A sandbox key trades on
the sandbox books with sandbox balances (paper trading).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.deps import IdempotencyDep, OrderRateLimited, OrdersReader, OrdersWriter, SessionDep
from api.errors import problem_doc
from api.idempotency.route import idempotent_post
from api.ledger.schemas import LedgerId
from api.orders import schemas, service
from api.orders.runtime import SpotMarkets
from api.pagination import DEFAULT_LIMIT, LIST_RESPONSES, CursorQuery, LimitQuery
from api.perps.runtime import PerpMarkets
from matching.options_market.venue import wall_clock


@asynccontextmanager
async def orders_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The spot markets, opened on first use and closed with the app (`api.orders.runtime`). The option
    books read `app.state.options_clock` when it is set (a test's, to reach an expiry), else the wall's."""
    state = app.state
    perps = PerpMarkets(state.settings.matching_dir, state.engine)
    state.perp_markets = perps  # the perpetual's routes and price loop (`api.perps`) use them too
    state.spot_markets = SpotMarkets(
        state.settings.matching_dir,
        state.engine,
        perps,
        options_clock=lambda: getattr(state, "options_clock", wall_clock)(),
    )
    try:
        yield
    finally:
        app.state.spot_markets.close()


router = APIRouter(prefix="/v1/orders", tags=["orders"], lifespan=orders_lifespan)

OrderIdPath = Annotated[LedgerId, Path(description="The order's id, as a decimal string.")]
AUTH_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    422: problem_doc(
        "Invalid request: `errors` names the field (off the market's tick or lot, unknown market), or "
        "`insufficient-funds` (the order's reservation exceeds the available balance)."
    ),
    503: problem_doc("The market stopped after a failed ledger posting (`market-unavailable`)."),
}
NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {404: problem_doc("No order of this id is the caller's.")}
REJECTED: Final[dict[int | str, dict[str, Any]]] = {
    409: problem_doc(
        "The book refused the order (`order-rejected`, `code` says why: post_only_would_take, "
        "fok_not_fillable, not_amendable, ...), a kill switch is engaged (`kill-switch-engaged`), the "
        "account cools down after a liquidation (`liquidation-cooldown`), or the Idempotency-Key was used "
        "for another request."
    )
}
PRETRADE: Final[dict[int | str, dict[str, Any]]] = {
    403: problem_doc("The risk engine refused this derivative position change (`order-risk-denied`)."),
    422: problem_doc(
        "Invalid request (`errors` names the field), `insufficient-funds`, or over a pre-trade limit "
        "(`order-size`, `position-limit`, `price-band`: `limit`, `value` and `unit` say which figure)."
    ),
    428: problem_doc(
        "A derivative order above the step-up threshold (`step-up-required`): confirm `challenge`, then "
        "send the order again with `step_up`."
    ),
    429: problem_doc("The key's order bucket is empty (`rate-limited`, with Retry-After)."),
}


def _markets(request: Request) -> SpotMarkets:
    markets: SpotMarkets = request.app.state.spot_markets
    return markets


@idempotent_post(
    router,
    "",
    schemas.OrderOut,
    "Place a spot limit order",
    {**AUTH_RESPONSES, **REJECTED, **PRETRADE},
    HTTPStatus.CREATED,
)
async def place_order(
    request: Request,
    body: schemas.OrderCreate,
    tenant: OrdersWriter,
    _: OrderRateLimited,
    idempotency: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Scope `orders:write`, within the key's order rate. The pre-trade limits come first (kill switches,
    liquidation cool-down, size, price band, position; `api.orders.pretrade`), then its funds are held in
    the ledger (quote and the highest fee for a buy, base for a sell), then it is journaled and matched;
    the answer shows what traded at once."""
    markets, gate = _markets(request), request.app.state.pretrade_gate
    return await idempotency.run(
        lambda progress: run_in_threadpool(service.place, markets, gate, session, tenant, body, progress),
        body=body,
        status_code=HTTPStatus.CREATED,
    )


@router.get(
    "", summary="List the caller's orders, newest first", responses={**AUTH_RESPONSES, **LIST_RESPONSES}
)
async def list_orders(
    tenant: OrdersReader,
    session: SessionDep,
    market: Annotated[str | None, Query(max_length=32, description="Only this market's orders.")] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> schemas.Orders:
    """Scope `orders:read`. Pass `next_cursor` as `cursor` while `has_more`."""
    return await run_in_threadpool(service.listing, session, tenant, market, cursor, limit)


@router.get("/{order_id}", summary="Read an order", responses={**AUTH_RESPONSES, **NOT_FOUND})
async def read_order(order_id: OrderIdPath, tenant: OrdersReader, session: SessionDep) -> schemas.OrderOut:
    """Scope `orders:read`."""
    return await run_in_threadpool(service.read, session, tenant, order_id)


@router.delete("/{order_id}", summary="Cancel an order", responses={**AUTH_RESPONSES, **NOT_FOUND})
async def cancel_order(
    request: Request, order_id: OrderIdPath, tenant: OrdersWriter, session: SessionDep
) -> schemas.OrderOut:
    """Scope `orders:write`. Its open quantity leaves the book and its funds go back; an order already
    done answers as it stands."""
    return await run_in_threadpool(service.cancel, _markets(request), session, tenant, order_id)


@router.patch(
    "/{order_id}", summary="Amend a resting order", responses={**AUTH_RESPONSES, **NOT_FOUND, **REJECTED}
)
async def amend_order(
    request: Request,
    order_id: OrderIdPath,
    body: schemas.OrderAmend,
    tenant: OrdersWriter,
    session: SessionDep,
) -> schemas.OrderOut:
    """Scope `orders:write`. A smaller quantity keeps the order's place; a new price or a larger quantity
    moves it to the back. Only within the funds it holds: anything more is a 422 (cancel and place)."""
    return await run_in_threadpool(service.amend, _markets(request), session, tenant, order_id, body)
