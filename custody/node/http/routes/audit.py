"""``GET /v1/audit/head``: the node's signed statement of its audit log's head, for the coordinator to keep.

A head kept off the node is what shows a log cut back or rewritten later (`custody.audit.head`). The
statement is public (seq, hash, time, signature), so any holder of a group certificate may fetch it.
"""

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from custody.node.http.deps import RuntimeDep
from custody.node.http.peer import GroupPeer

router = APIRouter(tags=["audit"])


@router.get("/v1/audit/head")
async def audit_head(runtime: RuntimeDep, _peer: GroupPeer) -> dict[str, Any]:
    """The signed head statement (see `custody.audit.head.HeadStatement.to_json`)."""
    statement = await run_in_threadpool(runtime.head_statement)
    return statement.to_json()
