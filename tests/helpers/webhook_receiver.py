"""A merchant's webhook receiver for tests: a real HTTP server on 127.0.0.1, in a thread of the test process.

It records every request (headers and exact body bytes) and answers from a script of status codes (the last
one repeats), so a test can make an endpoint fail, then recover. `hold` makes it keep the first request open
until released: a delivery caught in flight, for the kill -9 test.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    """One request as the receiver read it."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the server answers and what it received."""

    url: str
    statuses: list[int] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    hold: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Received) -> int:
        with self.lock:
            self.received.append(request)
            self.arrived.set()
            return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """The requests once at least `count` have arrived; AssertionError after `timeout` seconds."""
        deadline = threading.Event()
        for _ in range(int(timeout * 20)):
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            deadline.wait(0.05)
        raise AssertionError(f"{len(self.received)} requests arrived, {count} expected")


@contextmanager
def running_receiver(path: str = "/hooks") -> Iterator[Receiver]:
    """A receiver listening on a free loopback port until the block ends."""
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = receiver.answer(Received(self.path, dict(self.headers.items()), body))
            hold = receiver.hold
            if hold is not None:
                receiver.hold = None
                hold.wait(60)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}{path}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        if receiver.hold is not None:
            receiver.hold.set()
        server.shutdown()
        server.server_close()
        thread.join()
