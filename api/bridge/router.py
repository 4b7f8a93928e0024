"""`/v1/bridge`: the bridge relay's messages and batches, a message's inclusion proof, and the messages of an
L1 deposit transaction. Operator reads (scope `custody:read`: the batches are what the custody group signs);
a merchant's key is refused. Thin routes over `api.bridge.service`."""

from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.bridge import schemas, service
from api.deps import BridgeReader
from api.errors import problem_doc
from api.pagination import DEFAULT_LIMIT, LIST_RESPONSES, CursorQuery, LimitQuery

router = APIRouter(prefix="/v1/bridge", tags=["bridge"])

MessageIdPath = Annotated[schemas.MessageId, Path(description="The message's id.")]
NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    404: problem_doc("No bridge message of this id has been seen by the relay."),
    422: problem_doc("The id is not `bm_` and 32 hex digits; `errors` names it."),
}


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


@router.get("/messages/{message_id}", summary="A bridge message and where it stands", responses=NOT_FOUND)
async def read_message(
    request: Request, message_id: MessageIdPath, _client: BridgeReader
) -> schemas.BridgeMessageOut:
    """Scope `custody:read`. `status`: seen, batched, attested, claimable (`challenge_ends_at` passed),
    claimed, or queued -> released over the destination's rate limit. A message whose batch the guardian
    vetoed is seen again and then in a new batch (`batch_seq`); one a reorg deeper than the relay's
    confirmation depth took away is `orphaned` and never delivered."""
    return await run_in_threadpool(service.message, _engine(request), message_id)


@router.get(
    "/messages/{message_id}/proof",
    summary="A bridge message's inclusion proof",
    responses={
        **NOT_FOUND,
        409: problem_doc("The message waits for its batch (`bridge-message-not-batched`)."),
    },
)
async def message_proof(
    request: Request, message_id: MessageIdPath, _client: BridgeReader
) -> schemas.BridgeProofOut:
    """Scope `custody:read`. `seq` and `proof` are the arguments of the destination bridge's `claim`."""
    return await run_in_threadpool(service.proof, _engine(request), message_id)


@router.get(
    "/deposits/{tx_hash}",
    summary="The bridge messages of a deposit transaction",
    responses={
        **KEY_RESPONSES,
        404: problem_doc("The relay has seen no bridge message in this transaction."),
        422: problem_doc("Not a 32-byte 0x hex transaction hash; `errors` names `tx_hash`."),
    },
)
async def deposit_status(
    request: Request,
    tx_hash: Annotated[schemas.TxHash, Path(description="The deposit's L1 transaction hash.")],
    _client: BridgeReader,
) -> schemas.BridgeMessages:
    """Scope `custody:read`. One transaction may send several messages; each with its status."""
    return await run_in_threadpool(service.deposits, _engine(request), tx_hash)


@router.get(
    "/batches", summary="List bridge batches, newest first", responses={**KEY_RESPONSES, **LIST_RESPONSES}
)
async def list_batches(
    request: Request, _client: BridgeReader, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> schemas.BridgeBatches:
    """Scope `custody:read`. Each batch's route, seq, root, prevRoot, and challenge end once attested."""
    return await run_in_threadpool(service.batches, _engine(request), cursor, limit)
