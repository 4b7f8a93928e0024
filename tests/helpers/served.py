"""An app served by a real uvicorn server in a thread of the test process: for tests whose client must reach
it over the wire (TLS, headers as sent, a webhook sender in another process, a browser) while the test still
holds the app. The app's lifespan runs: the database is migrated before the server counts as started."""

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from scripts._support.processes import LOOPBACK

START_TIMEOUT_SECONDS = 30


@contextmanager
def serving(config: uvicorn.Config, sockets: Sequence[socket.socket] = ()) -> Iterator[uvicorn.Server]:
    """Run a server of `config` (on the bound `sockets`, if given) until the block ends, once started."""
    server = uvicorn.Server(config)
    listening = {"sockets": list(sockets)} if sockets else {}
    thread = threading.Thread(target=server.run, kwargs=listening, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not server.started:
        assert thread.is_alive(), "the API stopped while starting"
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.02)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT_SECONDS)


@contextmanager
def serving_app(
    app: FastAPI, *, port: int = 0, sockets: Sequence[socket.socket] = ()
) -> Iterator[uvicorn.Server]:
    """Serve `app` over plain HTTP on loopback `port`, or on the bound `sockets`, until the block ends."""
    with serving(uvicorn.Config(app, host=LOOPBACK, port=port, log_level="warning"), sockets) as server:
        yield server
