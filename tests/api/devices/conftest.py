"""The devices API tests' fixtures: the app with its fingerprint key, plus one route that needs a
device-signed request and reads the device signal (what payment routes will declare), and callers: an
operator's key acting for a subject, and a device of that subject registered through the routes."""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import Scope, issue_api_key
from api.deps import DeviceSignalDep, SignedDevice
from api.settings import ApiSettings
from api.signed_requests import SIGNATURE_RESPONSES
from api.subject import SUBJECT_HEADER
from tests.helpers.db import session_on
from tests.helpers.device_keys import DeviceKeyPair

ALICE = "idn_alice"
BOB = "idn_bob"
SIGNED_ROUTE = "/v1/test-signed"


@pytest.fixture
def settings(api_settings: ApiSettings, tmp_path: Path) -> ApiSettings:
    key_path = tmp_path / "risk" / "device-fingerprint.key"
    key_path.parent.mkdir()
    key_path.write_text("ab" * 32)
    return api_settings.model_copy(update={"device_fingerprint_key_path": key_path})


@pytest.fixture
def app(settings: ApiSettings) -> FastAPI:
    """The app, and a POST route that takes a JSON body, needs a device signature and reports what the
    dependencies saw (as a payment route will declare them)."""
    app = create_app(settings)

    @app.post(SIGNED_ROUTE, responses=SIGNATURE_RESPONSES)
    def signed_echo(body: dict[str, Any], device: SignedDevice, signal: DeviceSignalDep) -> dict[str, Any]:
        return {
            "body": body,
            "device_id": device.device_id,
            "subject_id": device.subject_id,
            "is_new_device": signal.is_new_device,
            "fingerprint_changed": signal.fingerprint_changed,
        }

    return app


@dataclass
class Operator:
    """An API key's calls on `/v1/devices` for `subject`; every POST gets a fresh Idempotency-Key unless
    given one."""

    client: TestClient
    token: str | None
    subject: str | None = ALICE

    def headers(self, key: str | None = None, **extra: str) -> dict[str, str]:
        headers = {"Idempotency-Key": key or str(uuid.uuid4()), **extra}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.subject is not None:
            headers[SUBJECT_HEADER] = self.subject
        return headers

    def acting_for(self, subject: str | None) -> "Operator":
        return Operator(self.client, self.token, subject)

    def post(self, path: str, body: dict[str, Any] | None = None, key: str | None = None) -> httpx.Response:
        return self.client.post(f"/v1/devices{path}", json=body, headers=self.headers(key))

    def get(self, path: str = "") -> httpx.Response:
        return self.client.get(f"/v1/devices{path}", headers=self.headers())

    def patch(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.client.patch(f"/v1/devices{path}", json=body, headers=self.headers())

    def delete(self, path: str) -> httpx.Response:
        return self.client.delete(f"/v1/devices{path}", headers=self.headers())

    def registration(
        self, pair: DeviceKeyPair, raw: bool = False, overrides: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """A registration body for `pair`, over a new challenge of this subject, with `overrides`."""
        challenge = self.post("/challenges")
        assert challenge.status_code == 201, challenge.text
        issued = challenge.json()
        assert self.subject is not None
        signature = pair.sign_registration(issued["id"], issued["challenge"], self.subject)
        body = {
            "challenge_id": issued["id"],
            "name": "Alice's phone",
            "platform": "ios",
            "public_key": pair.public_raw if raw else pair.public_pem,
            "signature": signature,
        }
        return body | (overrides or {})

    def register(self, key_type: str = "p256", raw: bool = False) -> DeviceKeyPair:
        """A new device of the subject, registered through the routes."""
        pair = DeviceKeyPair(key_type)
        response = self.post("", self.registration(pair, raw))
        assert response.status_code == 201, response.text
        pair.device_id = response.json()["id"]
        return pair

    def signed_post(
        self,
        pair: DeviceKeyPair,
        body: dict[str, Any],
        timestamp: int,
        target: str = SIGNED_ROUTE,
        extra_headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST `body` to `target`, signed by `pair`, with `extra_headers` (User-Agent, ...)."""
        content = json.dumps(body).encode()
        signed = pair.signed_headers("POST", target, content, timestamp)
        all_headers = self.headers(**signed) | {"Content-Type": "application/json"} | (extra_headers or {})
        return self.client.post(target, content=content, headers=all_headers)


@pytest.fixture
def operator_key(client: TestClient, settings: ApiSettings) -> Callable[..., Operator]:
    """`operator_key("devices:admin")`: a new operator's key with those scopes; no scopes: no key at all."""

    def make(*scopes: Scope) -> Operator:
        if not scopes:
            return Operator(client, None)
        with session_on(settings.database_url) as session:
            return Operator(client, issue_api_key(session, "devices-test", scopes).token)

    return make


@pytest.fixture
def operator(operator_key: Callable[..., Operator]) -> Operator:
    """An operator's key with `devices:admin`, acting for Alice."""
    return operator_key("devices:admin")
