"""The devices API tests' fixtures: the app with a session key and a fingerprint key, on the identity clock
the test moves, plus routes that need a device-signed request (what payment routes will declare); and
callers: signed-in customers managing their own devices, and the support desk's operator key."""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import Scope, issue_api_key
from api.deps import DeviceCheckDep, DeviceSignalDep, SessionDep, SignedDevice
from api.settings import ApiSettings
from api.signed_requests import SIGNATURE_RESPONSES, verify_device_request
from tests.api.identity.conftest import Browser, Clock, identity_settings, signed_in
from tests.helpers.db import session_on
from tests.helpers.device_keys import DeviceKeyPair

SIGNED_ROUTE = "/v1/test-signed"
CHECKED_ROUTE = "/v1/test-checked"
FOR_SUBJECT_ROUTE = "/v1/test-for-subject"
"""`{FOR_SUBJECT_ROUTE}/{subject_id}`: no session; the route verifies a device of the subject it names (as
a merchant's payment confirmation would, for the intent's customer)."""


@pytest.fixture
def settings(api_settings: ApiSettings, tmp_path: Path) -> ApiSettings:
    key_path = tmp_path / "risk" / "device-fingerprint.key"
    key_path.parent.mkdir()
    key_path.write_text("ab" * 32)
    return identity_settings(api_settings, tmp_path).model_copy(
        update={"device_fingerprint_key_path": key_path}
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(settings: ApiSettings, clock: Clock) -> FastAPI:
    """The app on the test's clock, and two POST routes that take a JSON body, need a device signature and
    report what the dependencies saw: one with `SignedDevice` and `DeviceSignalDep`, one with the combined
    `DeviceCheckDep` (as a payment confirmation declares it)."""
    app = create_app(settings)
    app.state.identity_clock = clock

    @app.post(SIGNED_ROUTE, responses=SIGNATURE_RESPONSES)
    def signed_echo(body: dict[str, Any], device: SignedDevice, signal: DeviceSignalDep) -> dict[str, Any]:
        return {
            "body": body,
            "device_id": device.device_id,
            "subject_id": device.subject_id,
            "is_new_device": signal.is_new_device,
            "fingerprint_changed": signal.fingerprint_changed,
        }

    @app.post(CHECKED_ROUTE, responses=SIGNATURE_RESPONSES)
    def checked_echo(body: dict[str, Any], check: DeviceCheckDep) -> dict[str, Any]:
        return {
            "device_id": check.device_id,
            "subject_id": check.device.subject_id,
            "is_new_device": None if check.signal is None else check.signal.is_new_device,
        }

    @app.post(FOR_SUBJECT_ROUTE + "/{subject_id}", responses=SIGNATURE_RESPONSES)
    async def for_subject(subject_id: str, request: Request, session: SessionDep) -> dict[str, Any]:
        device = await verify_device_request(request, session, subject_id)
        return {"device_id": device.device_id, "subject_id": device.subject_id}

    return app


@dataclass
class Customer:
    """A signed-in customer's calls on `/v1/devices`; every POST gets a fresh Idempotency-Key unless given
    one."""

    browser: Browser

    @property
    def client(self) -> TestClient:
        return self.browser.client

    @property
    def clock(self) -> Clock:
        return self.browser.clock

    @property
    def subject(self) -> str:
        subject: str = self.browser.session["subject_id"]
        return subject

    def headers(self, key: str | None = None, **extra: str) -> dict[str, str]:
        return {"Idempotency-Key": key or str(uuid.uuid4()), **self.browser.bearer(), **extra}

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
        """A registration body for `pair`, over a new challenge of this customer, with `overrides`."""
        challenge = self.post("/challenges")
        assert challenge.status_code == 201, challenge.text
        issued = challenge.json()
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
        """A new device of the customer, registered through the routes."""
        pair = DeviceKeyPair(key_type)
        response = self.post("", self.registration(pair, raw))
        assert response.status_code == 201, response.text
        pair.device_id = response.json()["id"]
        return pair

    def signed_post(
        self,
        pair: DeviceKeyPair,
        body: dict[str, Any],
        timestamp: int | None = None,
        target: str = SIGNED_ROUTE,
        extra_headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST `body` to `target`, signed by `pair` at `timestamp` (the clock's now by default)."""
        content = json.dumps(body).encode()
        stamp = self.clock.now if timestamp is None else timestamp
        signed = pair.signed_headers("POST", target, content, stamp)
        all_headers = self.headers(**signed) | {"Content-Type": "application/json"} | (extra_headers or {})
        return self.client.post(target, content=content, headers=all_headers)


@pytest.fixture
def alice(client: TestClient, clock: Clock) -> Customer:
    return Customer(signed_in(client, clock))


@pytest.fixture
def bob(client: TestClient, clock: Clock) -> Customer:
    return Customer(signed_in(client, clock))


@dataclass
class SupportDesk:
    """An API key's calls on `/v1/subjects/{subject}/devices` (no key at all when `token` is None)."""

    client: TestClient
    token: str | None

    def headers(self) -> dict[str, str]:
        return {} if self.token is None else {"Authorization": f"Bearer {self.token}"}

    def get(self, subject: str, path: str = "") -> httpx.Response:
        return self.client.get(f"/v1/subjects/{subject}/devices{path}", headers=self.headers())

    def delete(self, subject: str, path: str) -> httpx.Response:
        return self.client.delete(f"/v1/subjects/{subject}/devices{path}", headers=self.headers())


@pytest.fixture
def operator_key(client: TestClient, settings: ApiSettings) -> Callable[..., SupportDesk]:
    """`operator_key("devices:admin")`: a new operator's key with those scopes; no scopes: no key at all."""

    def make(*scopes: Scope) -> SupportDesk:
        if not scopes:
            return SupportDesk(client, None)
        with session_on(settings.database_url) as session:
            return SupportDesk(client, issue_api_key(session, "devices-test", scopes).token)

    return make


@pytest.fixture
def support(operator_key: Callable[..., SupportDesk]) -> SupportDesk:
    """An operator's key with `devices:admin`."""
    return operator_key("devices:admin")
