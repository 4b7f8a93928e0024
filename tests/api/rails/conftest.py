"""Fixtures of the bank rail's API tests: the sandbox bank as its own process, the API (under `TestClient`)
with the bank rail registered from its settings, and the hop between them.

The bank POSTs its webhooks over the network; `TestClient`'s app listens on none, so a loopback HTTP server
(`Bridge`) takes each webhook and hands the same bytes and headers to the app, answering the bank with the
app's own status: the bank's retries meet the API's real answers. It records what it forwarded, so a test
can deliver a notification again.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.auth import issue_api_key
from api.settings import ApiSettings
from tests.api.payment_intents.conftest import Caller
from tests.helpers.db import database_url, session_on  # noqa: F401  (fixtures)
from tests.helpers.sandbox_bank import BankProcess, running_bank

NOTIFICATIONS = "/v1/rails/bank/events"
INTENTS = "/v1/payment-intents"


@dataclass
class Forwarded:
    body: bytes
    headers: dict[str, str]
    status: int


@dataclass
class Bridge:
    url: str = ""
    path: str = NOTIFICATIONS
    """The app's route the bridge hands each request to (the bank's events by default)."""
    client: TestClient | None = None
    forwarded: list[Forwarded] = field(default_factory=list)
    in_flight: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)

    def attach(self, client: TestClient) -> None:
        """Deliver to `client` (a started app) from now on."""
        with self.changed:
            self.client = client

    def detach(self, timeout: float = 30.0) -> None:
        """Deliver nothing more (503 to the sender, who retries), and wait for the deliveries in flight: the
        `TestClient` is about to stop, and it must not be stopping while another thread's request runs
        through it. One that did (a webhook answered while the client closed its open responses) had its
        last message handed over from the wrong thread, and the app's event loop slept on for good: the
        KYC tests' hang at `TestClient.__exit__`."""
        with self.changed:
            self.client = None
            if not self.changed.wait_for(lambda: self.in_flight == 0, timeout):
                raise AssertionError(f"a delivery through the bridge is still running after {timeout} s")

    def forward(self, body: bytes, headers: dict[str, str]) -> int:
        with self.changed:
            client = self.client
            if client is None:
                return 503
            self.in_flight += 1
        answer: int | None = None
        try:
            answer = client.post(self.path, content=body, headers=headers).status_code
        except RuntimeError:  # the app stopped while the bank still delivers (the test is ending)
            pass
        finally:
            with self.changed:
                if answer is not None:
                    self.forwarded.append(Forwarded(body, headers, answer))
                self.in_flight -= 1
                self.changed.notify_all()
        return 503 if answer is None else answer

    def first_answered(self, status: int, timeout: float = 10.0) -> Forwarded:
        """The first delivery the app answered with `status`, waited for: a test sees the delivery's effect
        (a check's new status, committed by the app) a moment before the answer is back here."""
        with self.changed:
            if not self.changed.wait_for(lambda: any(f.status == status for f in self.forwarded), timeout):
                raise AssertionError(f"no delivery answered {status} within {timeout} s")
            return next(sent for sent in self.forwarded if sent.status == status)


@pytest.fixture
def bridge() -> Iterator[Bridge]:
    with serving_bridge(NOTIFICATIONS) as bridge:
        yield bridge


@contextmanager
def serving_bridge(path: str) -> Iterator[Bridge]:
    """A bridge listening on loopback, handing what it receives to the app's `path`."""
    bridge = Bridge(path=path)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            kept = {name: value for name, value in self.headers.items() if name.lower() != "host"}
            status = bridge.forward(body, kept)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    bridge.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield bridge
    finally:
        bridge.detach()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def bank(tmp_path: Path, bridge: Bridge) -> Iterator[BankProcess]:
    with running_bank(tmp_path / "bank", bridge.url, settlement_delay_seconds=0.5) as bank:
        yield bank


@pytest.fixture
def api_settings(api_settings: ApiSettings, bank: BankProcess, database_url: str) -> ApiSettings:  # noqa: F811
    """The API's settings with the bank rail: the bank's URL and the file of the secret it signs with
    (`database_url` named here too, so the backends' parametrization reaches this override)."""
    return api_settings.model_copy(update=bank.api_settings)


@pytest.fixture
def wired(client: TestClient, bridge: Bridge) -> Iterator[Bridge]:
    """The bridge delivering to the started app, until just before the app stops (`Bridge.detach`)."""
    bridge.attach(client)
    yield bridge
    bridge.detach()


@pytest.fixture
def merchant(client: TestClient, api_settings: ApiSettings, wired: Bridge) -> Caller:
    with session_on(api_settings.database_url) as session:
        token = issue_api_key(session, "merchant", ("payments:read", "payments:write")).token
    return Caller(client, token)


def create_bank_intent(merchant: Caller, iban: str, amount: str = "5000", **fields: Any) -> dict[str, Any]:
    body = {"amount": amount, "currency": "EUR", "rail": "bank", "payment_method": iban} | fields
    response = merchant.post(INTENTS, body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def settled(merchant: Caller, path: str, waiting: str, timeout: float = 20.0) -> dict[str, Any]:
    """The object at `path` once its status is no longer `waiting`."""
    stop = threading.Event()
    for _ in range(int(timeout * 20)):
        found: dict[str, Any] = merchant.get(path).json()
        if found["status"] != waiting:
            return found
        stop.wait(0.05)
    raise AssertionError(f"{path} is still {waiting} after {timeout} s")


def post_notification(client: TestClient, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/xml"}
    if signature is not None:
        headers["TPW-Signature"] = signature
    return client.post(NOTIFICATIONS, content=body, headers=headers)
