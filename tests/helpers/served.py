"""An app served by a real uvicorn server in a thread of the test process, for tests that need the wire
(TLS, headers as sent) but not a process of their own."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

START_TIMEOUT_SECONDS = 30


@contextmanager
def serving(config: uvicorn.Config, listening: socket.socket | None = None) -> Iterator[uvicorn.Server]:
    """Run a server of `config` (on `listening`, if given) until the block ends; wait for its start."""
    server = uvicorn.Server(config)
    sockets = {"sockets": [listening]} if listening is not None else {}
    thread = threading.Thread(target=server.run, kwargs=sockets, daemon=True)
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
