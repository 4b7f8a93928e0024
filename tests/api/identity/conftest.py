"""The /v1/auth tests' fixtures: the app with a session key file, our SIWE domain and WebAuthn relying party,
a clock the test moves, and a browser that signs in."""

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from tests.risk.identity.conftest import CHAIN_ID, DOMAIN, START, URI, Wallet

ORIGIN, RP_ID = URI, DOMAIN


@pytest.fixture
def settings(api_settings: ApiSettings, tmp_path: Path) -> ApiSettings:
    return identity_settings(api_settings, tmp_path)


def identity_settings(api_settings: ApiSettings, tmp_path: Path) -> ApiSettings:
    """`api_settings` with a session key file in `tmp_path`, our SIWE domain and WebAuthn relying party
    (what any test of a route behind `CustomerSession` starts from)."""
    key = tmp_path / "identity" / "session.key"
    key.parent.mkdir()
    key.write_text(secrets.token_hex(32))
    key.chmod(0o600)
    return api_settings.model_copy(
        update={
            "auth_session_key_path": key,
            "siwe_domain": DOMAIN,
            "siwe_uri": URI,
            "siwe_chain_ids": [CHAIN_ID],
            "webauthn_rp_id": RP_ID,
            "webauthn_origins": [ORIGIN],
        }
    )


@dataclass
class Clock:
    """Whole seconds the test sets; the app reads it through `app.state.identity_clock`."""

    now: int = START

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(settings: ApiSettings, clock: Clock) -> FastAPI:
    app = create_app(settings)
    app.state.identity_clock = clock
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@dataclass
class Browser:
    """A customer's browser with a wallet: signs in with SIWE and holds the session it answers."""

    client: TestClient
    clock: Clock
    wallet: Wallet = field(default_factory=lambda: Wallet(Account.create()))
    session: dict[str, Any] = field(default_factory=dict)

    def signed_message(self, **fields: object) -> dict[str, str]:
        nonce = self.client.post("/v1/auth/siwe/nonce")
        assert nonce.status_code == 201, nonce.text
        message = self.wallet.message(nonce.json()["nonce"], self.clock.now, **fields)
        return {"message": message, "signature": self.wallet.sign(message)}

    def sign_in(self) -> dict[str, Any]:
        response = self.client.post("/v1/auth/siwe/login", json=self.signed_message())
        assert response.status_code == 200, response.text
        self.session = response.json()
        return self.session

    def bearer(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.session['access_token']}"}

    def whoami(self, token: str | None = None) -> httpx.Response:
        return self.client.get("/v1/auth/session", headers=self.bearer(token))


@pytest.fixture
def browser(client: TestClient, clock: Clock) -> Browser:
    return Browser(client, clock)


def signed_in(client: TestClient, clock: Clock) -> Browser:
    """A new customer's browser, signed in with a new wallet."""
    browser = Browser(client, clock)
    browser.sign_in()
    return browser


def problem_fields(response: httpx.Response) -> list[str]:
    """The fields a problem document's `errors` names."""
    return [error["field"] for error in response.json().get("errors", [])]
