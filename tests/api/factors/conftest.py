"""The /v1/factors tests' fixtures: the app with a session key and a factors key file, the identity clock the
test moves, a cheap Argon2id, and signed-in customers holding an authenticator app."""

import base64
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from risk.factors.totp import TotpParameters, code_at
from tests.api.identity.conftest import Browser, Clock, identity_settings, signed_in
from tests.risk.factors.conftest import cheap_hasher

FAILURES = 3
"""Consecutive failures that lock a factor in these tests."""


@pytest.fixture
def settings(api_settings: ApiSettings, tmp_path: Path) -> ApiSettings:
    key = tmp_path / "risk" / "factors.key"
    key.parent.mkdir()
    key.write_text(secrets.token_hex(32))
    key.chmod(0o600)
    return identity_settings(api_settings, tmp_path).model_copy(
        update={
            "factor_key_path": key,
            "factor_lockout_failures": FAILURES,
            "factor_lockout_base_seconds": 60,
            "factor_change_recent_login_seconds": 300,
            "factor_proof_ttl_seconds": 120,
        }
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(settings: ApiSettings, clock: Clock) -> FastAPI:
    app = create_app(settings)
    app.state.identity_clock = clock
    app.state.factor_password_hasher = cheap_hasher()
    return app


@dataclass
class Customer:
    """A signed-in customer's calls on /v1/factors, with the authenticator app it enrolled (if any)."""

    browser: Browser
    totp_secret: bytes | None = None

    @property
    def clock(self) -> Clock:
        return self.browser.clock

    def headers(self, proof: str | None = None) -> dict[str, str]:
        headers = self.browser.bearer()
        if proof is not None:
            headers["TPW-Factor-Proof"] = proof
        return headers

    def get(self) -> httpx.Response:
        return self.browser.client.get("/v1/factors", headers=self.headers())

    def statuses(self) -> dict[str, str]:
        return {entry["factor"]: entry["status"] for entry in self.get().json()["data"]}

    def post(self, path: str, body: dict[str, Any] | None = None, proof: str | None = None) -> httpx.Response:
        return self.browser.client.post(f"/v1/factors{path}", json=body, headers=self.headers(proof))

    def delete(self, factor: str, proof: str | None = None) -> httpx.Response:
        return self.browser.client.delete(f"/v1/factors/{factor}", headers=self.headers(proof))

    def enrol_totp(self) -> dict[str, Any]:
        response = self.post("/totp", {"account_name": "alice@example.com"})
        assert response.status_code == 201, response.text
        enrolment: dict[str, Any] = response.json()
        self.totp_secret = base64.b32decode(enrolment["secret"])
        return enrolment

    def code(self, offset_seconds: int = 0) -> str:
        """The authenticator app's code at the clock's time (plus `offset_seconds`)."""
        assert self.totp_secret is not None
        return code_at(self.totp_secret, self.clock.now + offset_seconds, TotpParameters())

    def activate_totp(self) -> None:
        self.enrol_totp()
        confirmed = self.post("/totp/verify", {"code": self.code()})
        assert confirmed.status_code == 200, confirmed.text

    def proof(self, purpose: str, challenge: str) -> str:
        """A factor proof from the next TOTP code (the clock moves one step so the code is fresh)."""
        self.clock.now += 30
        answer = self.post("/totp/verify", {"code": self.code(), "purpose": purpose, "challenge": challenge})
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["proof"]["token"]
        return token


@pytest.fixture
def alice(client: TestClient, clock: Clock) -> Customer:
    return Customer(signed_in(client, clock))


@pytest.fixture
def bob(client: TestClient, clock: Clock) -> Customer:
    return Customer(signed_in(client, clock))
