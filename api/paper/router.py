"""`POST /v1/markets/{id}/sandbox-funds`: test money for paper trading, for sandbox keys only (the rules:
`api.paper.service`). Thin route: check the request, then credit under its Idempotency-Key."""

from http import HTTPStatus
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.deps import IdempotencyDep, OrdersWriter
from api.errors import problem_doc
from api.idempotency.route import idempotent_post
from api.markets import schemas
from api.markets.router import MarketPath
from api.paper.schemas import SandboxFunds
from api.paper.service import Funding

router = APIRouter(prefix="/v1/markets", tags=["markets"])

RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    403: problem_doc("A live key (`sandbox-only`), or a key without `orders:write`."),
    404: problem_doc("No market of this id."),
    422: problem_doc("An amount that is not a decimal string within the limits; `errors` names it."),
}


@idempotent_post(router, "/{market_id}/sandbox-funds", schemas.Balances, "Add paper-trading money", RESPONSES)
async def fund_sandbox(
    request: Request,
    market_id: MarketPath,
    body: SandboxFunds,
    tenant: OrdersWriter,
    idempotency: IdempotencyDep,
) -> Response:
    """Scope `orders:write`, a sandbox key. Credits the caller's sandbox balances in the market's two
    currencies with test money; answers its balances (as `GET .../balances`)."""
    funding = await run_in_threadpool(Funding, request.app.state.spot_markets, tenant, market_id, body)
    return await idempotency.committed(funding.credit, body=body, status_code=HTTPStatus.OK)
