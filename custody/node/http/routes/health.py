"""``GET /v1/health``: whether the node is up, for any holder of a group certificate.

Still mutual TLS (a stranger cannot even connect), but not limited to the coordinator: operators' probes and
the devnet supervisor use it too. It names the node and the key ids it holds shares of, nothing secret.
"""

from fastapi import APIRouter

from custody.node.http.deps import RuntimeDep
from custody.node.http.peer import GroupPeer
from custody.protocol.signing import HealthResponse

router = APIRouter(tags=["health"])


@router.get("/v1/health", response_model=HealthResponse)
def health(runtime: RuntimeDep, _peer: GroupPeer) -> HealthResponse:
    """The node's id and its key ids."""
    return HealthResponse(status="ok", node_id=runtime.settings.node_id, keys=runtime.key_ids())
