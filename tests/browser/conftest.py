"""Fixtures of the browser tests: the API served by uvicorn on two loopback ports, headless Chromium (Debian's
`/usr/bin/chromium`, never a browser Playwright downloads) and a tab with a virtual authenticator.

The API answers on both ports, but only the first one's origin (`http://localhost:<port>`) is among its
`webauthn_origins`: the second plays a look-alike site that relays to the same server, so a ceremony run
there reaches the real server with the wrong origin in its client data. WebAuthn needs a secure context,
which http://localhost is; the RP id `localhost` covers every port of it.

Without Chromium the tests are skipped, saying so; under `.ci/run`, which installs it and sets
`TPW_TEST_REQUIRE_CHROMIUM`, they fail instead.
"""

import os
import shutil
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import httpx
import pytest
from eth_account import Account
from playwright.sync_api import Browser, Page, sync_playwright

from api.app import create_app
from api.settings import ApiSettings
from scripts._support.processes import LOOPBACK
from tests.api.conftest import api_database_url, api_settings, closed_port_url  # noqa: F401  (fixtures)
from tests.api.identity.conftest import settings  # noqa: F401  (fixture)
from tests.helpers.db import (  # noqa: F401  (fixtures)
    database_url,
    head_templates,
    migrated_database_url,
    pg_url,
    sqlite_url,
)
from tests.helpers.served import serving_app
from tests.helpers.virtual_authenticator import VirtualAuthenticator
from tests.risk.identity.conftest import Wallet

CHROMIUM_FLAGS: Final = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Flags that keep Chromium off the network it has no business on (this machine's is closed) and working as
root in a container."""
PAGE: Final = "/v1/auth/passkeys/page"
REQUIRE_CHROMIUM_ENV: Final = "TPW_TEST_REQUIRE_CHROMIUM"


def chromium_path() -> str:
    """Debian's Chromium; skipped when it is not installed, failed then if `TPW_TEST_REQUIRE_CHROMIUM` is
    set."""
    path = shutil.which("chromium")
    if path is None:
        reason = "no `chromium` on PATH: install Debian's package (apt-get install chromium; .ci/run does)"
        if os.environ.get(REQUIRE_CHROMIUM_ENV):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Headless Chromium with a new empty profile, shared by a module's tests (each gets its own context)."""
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Tab:
    """A fresh tab (its own cookies and storage) with a virtual authenticator, and the errors it logged."""

    page: Page
    authenticator: VirtualAuthenticator
    errors: list[str]


@pytest.fixture
def tab(chromium: Browser) -> Iterator[Tab]:
    context = chromium.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    try:
        yield Tab(page, VirtualAuthenticator.attach(page), errors)
    finally:
        context.close()


@pytest.fixture
def listeners() -> Iterator[tuple[socket.socket, socket.socket]]:
    """Two loopback sockets for the API, bound now so their ports are known before its settings are."""
    bound = []
    for _ in range(2):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, 0))
        bound.append(listener)
    try:
        yield bound[0], bound[1]
    finally:
        for listener in bound:
            listener.close()


def _origin(listener: socket.socket) -> str:
    return f"http://localhost:{listener.getsockname()[1]}"


@pytest.fixture
def browser_settings(
    settings: ApiSettings,  # noqa: F811
    listeners: tuple[socket.socket, socket.socket],
) -> ApiSettings:
    """The identity settings (a session key file; on `database_url`) for the first port's origin only."""
    origin = _origin(listeners[0])
    return settings.model_copy(
        update={
            "siwe_domain": origin.removeprefix("http://"),
            "siwe_uri": origin,
            "webauthn_rp_id": "localhost",
            "webauthn_origins": [origin],
        }
    )


@dataclass
class Site:
    """The served API: `origin`, its own, and `other_origin`, the same server at a port it does not trust."""

    origin: str
    other_origin: str
    http: httpx.Client

    @property
    def page_url(self) -> str:
        return self.origin + PAGE

    @property
    def other_page_url(self) -> str:
        return self.other_origin + PAGE

    def sign_in_with_ethereum(self) -> dict[str, Any]:
        """A new customer's session, signed in with an Ethereum account (SIWE), as the page expects."""
        wallet = Wallet(Account.create())
        nonce = self.http.post("/v1/auth/siwe/nonce")
        assert nonce.status_code == 201, nonce.text
        message = wallet.message(
            nonce.json()["nonce"],
            int(time.time()),
            domain=self.origin.removeprefix("http://"),
            uri=self.origin + "/login",
        )
        signed_in = self.http.post(
            "/v1/auth/siwe/login", json={"message": message, "signature": wallet.sign(message)}
        )
        assert signed_in.status_code == 200, signed_in.text
        return dict(signed_in.json())

    def whoami(self, access_token: str) -> httpx.Response:
        return self.http.get("/v1/auth/session", headers={"Authorization": f"Bearer {access_token}"})


@pytest.fixture
def site(browser_settings: ApiSettings, listeners: tuple[socket.socket, socket.socket]) -> Iterator[Site]:
    """The app (its real lifespan: the database migrated) served by uvicorn, in a thread, on both sockets."""
    # The test's own calls go to the address (no IPv6 attempt first); the browser's to the origin.
    address = f"http://{LOOPBACK}:{listeners[0].getsockname()[1]}"
    with (
        serving_app(create_app(browser_settings), sockets=list(listeners)),
        httpx.Client(base_url=address, timeout=20) as http,
    ):
        yield Site(_origin(listeners[0]), _origin(listeners[1]), http)
