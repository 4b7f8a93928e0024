"""`/v1/settlement`: the settlement batches anchored on-chain, and a trade's inclusion proof.

Thin routes over `api.settlement.service`, for a merchant's key with `orders:read`. A proof answers only a
trade the caller was a side of; anyone else's answers 404, as an unknown id does.
"""

from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.deps import IdempotencyDep, OrdersReader, OrdersWriter, SessionDep
from api.errors import problem_doc
from api.idempotency.route import idempotent_post
from api.pagination import DEFAULT_LIMIT, LIST_RESPONSES, CursorQuery, LimitQuery
from api.settlement import schemas, service, withdrawals

router = APIRouter(prefix="/v1/settlement", tags=["settlement"])

TradeIdPath = Annotated[schemas.TradeId, Path(description="The trade's id.")]
PROOF_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    404: problem_doc("No settled trade of this id has the caller on a side."),
    409: problem_doc("The trade waits for its batch (`trade-not-batched`)."),
    422: problem_doc("The id is not `<venue>:<market>:<seq>:<index>`; `errors` names `trade_id`."),
}


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


@router.get(
    "/batches",
    summary="List settlement batches, newest first",
    responses={**KEY_RESPONSES, **LIST_RESPONSES},
)
async def list_batches(
    request: Request, _tenant: OrdersReader, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> schemas.Batches:
    """Scope `orders:read`. Each batch's root, size and anchor (seq, transaction) once anchored."""
    return await run_in_threadpool(service.batches, _engine(request), cursor, limit)


@router.get(
    "/trades/{trade_id}/proof", summary="A settled trade's inclusion proof", responses=PROOF_RESPONSES
)
async def trade_proof(request: Request, trade_id: TradeIdPath, tenant: OrdersReader) -> schemas.TradeProofOut:
    """Scope `orders:read`. `leaf`, `proof`, `kind` and `seq` are the arguments of the contract's
    `verify(kind, seq, leaf, proof)`, which answers true once the batch is anchored."""
    return await run_in_threadpool(service.proof, _engine(request), tenant, trade_id)


WITHDRAWAL_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    422: problem_doc(
        "A field the API cannot take (`errors` names it: `amount` off the 10^-6 unit, `to` not checksummed), "
        "or `insufficient-funds`: the amount exceeds the available balance (nothing was written)."
    ),
}


@idempotent_post(
    router,
    "/withdrawals",
    schemas.WithdrawalOut,
    "Withdraw exchange balance through the treasury",
    WITHDRAWAL_RESPONSES,
    HTTPStatus.CREATED,
)
async def create_withdrawal(
    body: schemas.WithdrawalCreate, tenant: OrdersWriter, idempotency: IdempotencyDep, session: SessionDep
) -> Response:
    """Scope `orders:write`. The balance is debited at once (atomically with the withdrawal and this
    answer); the treasury pays `to` once the custody group signs (`status`: signing, sent, paid)."""
    return await idempotency.run(
        lambda progress: run_in_threadpool(withdrawals.withdraw, session, tenant, body, progress),
        body=body,
        status_code=HTTPStatus.CREATED,
    )


@router.get(
    "/withdrawals/{withdrawal_id}",
    summary="Read a withdrawal",
    responses={**KEY_RESPONSES, 404: problem_doc("No withdrawal of this id is the caller's.")},
)
async def read_withdrawal(
    request: Request,
    withdrawal_id: Annotated[str, Path(max_length=32, pattern=r"^wd_[0-9a-f]{24}$")],
    tenant: OrdersReader,
) -> schemas.WithdrawalOut:
    """Scope `orders:read`."""
    return await run_in_threadpool(withdrawals.read, _engine(request), tenant, withdrawal_id)
