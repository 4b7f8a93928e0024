"""Runs a signer node: uvicorn over mutual TLS 1.3, until SIGTERM or SIGINT (``python -m custody.node``).

uvicorn's own TLS options cannot say "TLS 1.3 only" (``ssl_version`` picks a protocol method, not a
minimum), so the context comes from `custody.tls.server_context` through ``ssl_context_factory``, and the
HTTP protocol is `MutualTlsHttpProtocol`, which tells the app whose certificate each connection presented.

Start-up reads `NodeSettings` and the key store's unlocker (from a file, a systemd credential or a variable:
`custody.node.settings`), removes every variable naming it from the environment (no child process inherits
it), and opens everything before listening, so a wrong
passphrase, a missing share store or an invalid policy stops the process with one line on stderr and exit
status 2. On SIGTERM or SIGINT uvicorn stops accepting connections, lets requests in flight finish, and the
app's lifespan signs a last audit checkpoint and closes the runtime; the process then exits with status 0.
"""

import logging
import os
import signal
import ssl
import sys
from collections.abc import Callable
from types import FrameType
from typing import NoReturn

import uvicorn
from pydantic import ValidationError

from custody.errors import CustodyError
from custody.node.http.app import create_app
from custody.node.http.transport import MutualTlsHttpProtocol
from custody.node.runtime import NodeRuntime, open_runtime
from custody.node.settings import SECRET_ENV_VARS, NodeSettings, unlocker_from_environment
from custody.tls import server_context

KEEP_ALIVE_SECONDS = 75
"""Idle connections stay open this long, so the coordinator reuses them instead of new TLS handshakes."""

STARTUP_FAILURE = 2

log = logging.getLogger("custody.node")


def uvicorn_config(runtime: NodeRuntime) -> uvicorn.Config:
    """The uvicorn configuration serving `runtime`'s app on its host and port, mutual TLS 1.3 only."""
    settings = runtime.settings
    tls_paths = settings.tls_paths

    def tls_context(_config: uvicorn.Config, _default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        return server_context(tls_paths)

    return uvicorn.Config(
        create_app(runtime),
        host=settings.host,
        port=settings.listen_port,
        http=MutualTlsHttpProtocol,
        ws="none",
        lifespan="on",
        ssl_context_factory=tls_context,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        access_log=False,
        log_config=None,
        server_header=False,
        date_header=False,
        proxy_headers=False,  # nodes are reached directly over mutual TLS, never through a proxy
    )


def _exit_after_shutdown(signum: int, _frame: FrameType | None) -> NoReturn:
    """uvicorn re-raises the stop signal once it has shut down gracefully; that is a normal exit."""
    log.info("stopped by signal %s", signal.Signals(signum).name)
    sys.exit(0)


def _fail(message: str) -> NoReturn:
    print(f"custody node: {message}", file=sys.stderr, flush=True)
    sys.exit(STARTUP_FAILURE)


def main() -> None:
    """Start the node described by the environment and serve until stopped."""
    try:
        settings = NodeSettings()  # type: ignore[call-arg]  # fields come from the environment
    except ValidationError as error:
        _fail(f"invalid TPW_NODE_* settings: {error}")
    logging.basicConfig(
        level=settings.log_level,
        format=f"%(asctime)s node-{settings.node_id} %(levelname)s %(name)s %(message)s",
    )
    try:
        unlocker = unlocker_from_environment(os.environ)
    except CustodyError as error:
        _fail(str(error))
    for variable in SECRET_ENV_VARS:
        os.environ.pop(variable, None)
    try:
        runtime = open_runtime(settings, unlocker)
        config = uvicorn_config(runtime)
        config.load()  # builds the TLS context now, so bad TLS files fail here, not at the first connection
    except CustodyError as error:
        _fail(str(error))
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, _exit_after_shutdown)
    log.info("node %d serving on https://%s:%d", settings.node_id, settings.host, settings.listen_port)
    uvicorn.Server(config).run()
