"""The signing routes: ``POST /v1/sign/round1`` and ``POST /v1/sign/round2``, for the coordinator only.

Thin: each validates its body, checks the caller is the coordinator and hands over to
`custody.node.signing.SigningService`, whose refusals become problem documents (400 malformed, 403 policy
or wrong peer, 404 unknown key or session, 409 replay or conflict). The handlers are plain functions, so
FastAPI runs them in worker threads and a node's fsyncs never stall its event loop.
"""

from fastapi import APIRouter

from custody.node.deps import RuntimeDep
from custody.node.peer import CoordinatorPeer
from custody.node.schemas import Round1Request, Round1Response, Round2Request, Round2Response

router = APIRouter(prefix="/v1/sign", tags=["signing"])


@router.post("/round1", response_model=Round1Response)
def round1(body: Round1Request, runtime: RuntimeDep, coordinator: CoordinatorPeer) -> Round1Response:
    """Open a session: this node's commitments to fresh nonces bound to the key, request and intent."""
    return runtime.signing.round1(body, actor=coordinator)


@router.post("/round2", response_model=Round2Response)
def round2(body: Round2Request, runtime: RuntimeDep, coordinator: CoordinatorPeer) -> Round2Response:
    """Close a session: this node's signature share, after its nonce is consumed and its policy agrees."""
    return runtime.signing.round2(body, actor=coordinator)
