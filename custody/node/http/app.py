"""The signer node's ASGI app factory: `create_app(runtime)` wires errors, routers and the lifespan.

Routers are listed once, in `ROUTERS`; a new concern of the node (key ceremonies, ...) adds its router
there. The two signing routes, which carry every signature, are served in front of the FastAPI app by
`custody.node.http.routes.sign.SigningRoutes`, which hands everything else (and the lifespan) to it. The
lifespan starts the runtime (abandoning sessions a previous process left open), runs the sweeper that
drops nonces older than their time to live and the checkpointer that signs the audit log's head every
``audit_checkpoint_seconds``, and closes the runtime (with a last checkpoint) when the server stops. The
app has no OpenAPI or docs routes: only the coordinator and operators talk to a node.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp

from custody.node.http.problems import NODE_PROBLEMS
from custody.node.http.routes import audit, health, keys
from custody.node.http.routes.sign import SigningRoutes
from custody.node.runtime import NodeRuntime
from custody.problems import install_handlers

ROUTERS: tuple[APIRouter, ...] = (health.router, keys.router, audit.router)
"""Every router of the FastAPI app (the signing routes are `SigningRoutes`, in front of it)."""

MIN_SWEEP_INTERVAL_SECONDS = 1.0

log = logging.getLogger("custody.node")


async def _sweep_forever(runtime: NodeRuntime) -> None:
    """Expire stale nonces every quarter of their time to live, until cancelled."""
    interval = max(MIN_SWEEP_INTERVAL_SECONDS, runtime.settings.nonce_ttl_seconds / 4)
    while True:
        await asyncio.sleep(interval)
        try:
            await run_in_threadpool(runtime.signing.expire_stale, runtime.actor)
        except Exception:
            log.exception("sweeping stale signing sessions failed; retrying in %.0f s", interval)


async def _checkpoint_forever(runtime: NodeRuntime) -> None:
    """Sign the audit log's head every ``audit_checkpoint_seconds`` (if it moved), until cancelled."""
    interval = runtime.settings.audit_checkpoint_seconds
    while True:
        await asyncio.sleep(interval)
        try:
            await run_in_threadpool(runtime.checkpoint)
        except Exception:
            log.exception("checkpointing the audit log failed; retrying in %.0f s", interval)


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    runtime: NodeRuntime = app.state.runtime
    await run_in_threadpool(runtime.start)
    tasks = [asyncio.create_task(_sweep_forever(runtime)), asyncio.create_task(_checkpoint_forever(runtime))]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await run_in_threadpool(runtime.close)


def create_app(runtime: NodeRuntime) -> ASGIApp:
    """The node's app over `runtime`, which the app's lifespan starts and closes."""
    app = FastAPI(
        title=f"TPWallet signer node {runtime.settings.node_id}",
        lifespan=_lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    install_handlers(app, NODE_PROBLEMS)
    for router in ROUTERS:
        app.include_router(router)
    return SigningRoutes(app, runtime)
