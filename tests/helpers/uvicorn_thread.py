"""An app served by a real uvicorn server in a thread of the test process: for tests whose client must reach
it over the network (a webhook sender in another process, a browser) while the test still holds the app."""

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from scripts._support.processes import LOOPBACK

START_SECONDS = 30.0


@contextlib.contextmanager
def serving(app: FastAPI, *, port: int = 0, sockets: list[socket.socket] | None = None) -> Iterator[None]:
    """Serve `app` on loopback `port`, or on the bound `sockets`, until the block ends (its lifespan runs:
    the database is migrated before this yields)."""
    config = uvicorn.Config(app, host=LOOPBACK, port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        assert thread.is_alive(), "the API stopped while starting"
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=START_SECONDS)
