"""The merchant's webhook receiver in the demo: a real HTTP server on loopback that checks every delivery.

It does what a merchant's server must: read the body's exact bytes, verify `TPW-Signature` against the
endpoint's secret (300 s tolerance, a replayed signature refused) before parsing anything, answer 2xx only to
a request that verified, and deduplicate events by id (delivery is at least once). The demo then asks it
what arrived: every event verified, none refused.
"""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from payments.webhooks.signing import HEADER, SignatureError, verify

LOOPBACK = "127.0.0.1"
WAIT_STEP_SECONDS = 0.1


@dataclass
class _MemoryReplays:
    """The signatures this receiver accepted (a merchant's own replay store; the demo is short)."""

    seen: set[tuple[int, str]] = field(default_factory=set)

    def first_use(self, timestamp: int, signatures: Any, expires_at: int, now: int) -> bool:
        pairs = {(timestamp, signature) for signature in signatures}
        if pairs & self.seen:
            return False
        self.seen |= pairs
        return True


@dataclass
class MerchantReceiver:
    """What arrived: events by id (verified), and how many requests were refused (and why)."""

    url: str
    secret: str = field(default="", repr=False)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    _replays: _MemoryReplays = field(default_factory=_MemoryReplays)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def receive(self, header: str | None, body: bytes) -> int:
        """The status to answer: 200 for a verified delivery, 400 for one that does not verify."""
        with self._lock:
            if not self.secret:
                self.refused.append("no secret yet")
                return HTTPStatus.SERVICE_UNAVAILABLE
            try:
                verify(header, body, [self.secret], replays=self._replays)
            except SignatureError as error:
                self.refused.append(type(error).__name__)
                return HTTPStatus.BAD_REQUEST
            event = json.loads(body)
            self.events.setdefault(event["id"], event)
            return HTTPStatus.OK

    def types(self) -> list[str]:
        with self._lock:
            return [event["type"] for event in self.events.values()]

    def wait_for(self, wanted: set[str], timeout: float) -> set[str]:
        """The event types among `wanted` that arrived within `timeout` seconds (all of them, or fewer)."""
        done = threading.Event()
        for _ in range(int(timeout / WAIT_STEP_SECONDS)):
            if wanted <= set(self.types()):
                break
            done.wait(WAIT_STEP_SECONDS)
        return wanted & set(self.types())


@contextmanager
def running_receiver(path: str = "/tpwallet/webhooks") -> Iterator[MerchantReceiver]:
    """A receiver on a free loopback port, serving until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            status = receiver.receive(self.headers.get(HEADER), body) if self.path == path else 404
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the demo prints its own progress."""

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    receiver = MerchantReceiver(url=f"http://{LOOPBACK}:{server.server_address[1]}{path}")
    thread = threading.Thread(target=server.serve_forever, name="merchant-webhooks", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
