"""FastAPI dependencies of the node's routes as `Annotated` aliases: ``runtime: RuntimeDep``.

The runtime comes from the app's state (set by `custody.node.http.app.create_app`), so tests can run several
apps with different runtimes in one process. The peer checks are in `custody.node.http.peer`.
"""

from typing import Annotated

from fastapi import Depends, Request

from custody.node.runtime import NodeRuntime


async def get_runtime(request: Request) -> NodeRuntime:
    """The runtime of the app serving `request` (async: FastAPI would run a plain function in a worker
    thread, a needless hop per request)."""
    runtime: NodeRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[NodeRuntime, Depends(get_runtime)]
