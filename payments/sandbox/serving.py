"""How a sandbox counterpart runs as its own process: a worker thread doing its rounds (settling what is
due, sending webhooks) beside the HTTP server, on a port bound before the readiness line is printed, so
`port=0` works and the line names the port actually bound (the devnet and the tests wait for it), and
listening before that line is printed."""

import logging
import socket
import threading
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

BACKLOG = 2048


def serve_with_worker(
    app: FastAPI,
    host: str,
    port: int,
    ready: str,
    worker_round: Callable[[], object],
    interval: float,
    log: logging.Logger,
) -> None:
    """Serve `app` until stopped, `worker_round` every `interval` seconds meanwhile; a failed round is
    logged and the next one tries again (a round must never end the counterpart)."""
    stop = threading.Event()

    def work() -> None:
        while not stop.wait(interval):
            try:
                worker_round()
            except Exception:
                log.exception("worker round failed")

    worker = threading.Thread(target=work, name="sandbox-worker", daemon=True)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    # Listening before the readiness line: a client that connects at once waits in the backlog until the
    # server accepts, instead of being refused while uvicorn still starts (a restarted bank's first call).
    listener.listen(BACKLOG)
    bound_host, bound_port = listener.getsockname()[:2]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    worker.start()
    print(f"{ready} http://{bound_host}:{bound_port}", flush=True)
    try:
        server.run(sockets=[listener])
    finally:
        stop.set()
        worker.join(timeout=5)
