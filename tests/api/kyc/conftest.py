"""Fixtures of the KYC and screening API tests: the app with session keys (customers sign in with SIWE),
the sandbox KYC provider as its own process, its signed webhooks reaching `/v1/rails/kyc/events` through a
loopback bridge, a sanctions list of the test's own (a copy of the shipped sample), and operators' keys."""

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import tests.api.identity.conftest as identity
from api.auth import Scope, issue_api_key
from api.settings import ApiSettings
from chain.paths import PROJECT_ROOT
from tests.api.identity.conftest import Browser, Clock
from tests.api.identity.conftest import settings as identity_settings  # noqa: F401  (fixture)
from tests.api.payment_intents.conftest import Caller
from tests.api.rails.conftest import Bridge, serving_bridge
from tests.helpers.db import session_on
from tests.helpers.sandbox_kyc import KycProviderProcess, running_kyc_provider

EVENTS = "/v1/rails/kyc/events"
app, clock = identity.app, identity.clock  # the sign-in tests' fixtures, on this package's `settings`
SAMPLE_LIST = PROJECT_ROOT / "config" / "risk" / "sanctions"


@pytest.fixture
def list_dir(tmp_path: Path) -> Path:
    """The test's own copy of the shipped sample list (the list route writes here)."""
    target = tmp_path / "sanctions"
    shutil.copytree(SAMPLE_LIST, target)
    return target


@pytest.fixture
def bridge() -> Iterator[Bridge]:
    with serving_bridge(EVENTS) as bridge:
        yield bridge


@pytest.fixture
def provider(tmp_path: Path, bridge: Bridge) -> Iterator[KycProviderProcess]:
    with running_kyc_provider(tmp_path / "kyc-provider", bridge.url) as provider:
        yield provider


@pytest.fixture
def settings(
    identity_settings: ApiSettings,  # noqa: F811
    provider: KycProviderProcess,
    list_dir: Path,
) -> ApiSettings:
    return identity_settings.model_copy(update={**provider.api_settings, "screening_list_dir": list_dir})


@pytest.fixture
def client(app: FastAPI, bridge: Bridge) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        bridge.attach(test_client)
        yield test_client
        bridge.detach()  # before the client stops: no webhook may be running through it then


NewCustomer = Callable[[], Browser]


@pytest.fixture
def customer(client: TestClient, clock: Clock) -> NewCustomer:
    """A new signed-in customer each call."""

    def signed_in() -> Browser:
        browser = Browser(client, clock)
        browser.sign_in()
        return browser

    return signed_in


NewOperator = Callable[..., Caller]


@pytest.fixture
def operator(client: TestClient, settings: ApiSettings) -> NewOperator:
    """An operator's key with the given scopes."""

    def with_scopes(*scopes: Scope) -> Caller:
        with session_on(settings.database_url) as session:
            token = issue_api_key(session, "compliance", scopes).token
        return Caller(client, token)

    return with_scopes


class Customer:
    """A customer's calls to `/v1/kyc` with its session token and a fresh Idempotency-Key each POST."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.posts = 0

    def start(self, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        self.posts += 1
        headers = self.browser.bearer() | {"Idempotency-Key": key or f"kyc-{id(self)}-{self.posts}"}
        return self.browser.client.post("/v1/kyc/checks", json=body, headers=headers)

    def get(self, path: str) -> httpx.Response:
        return self.browser.client.get(path, headers=self.browser.bearer())


def person(**fields: Any) -> dict[str, Any]:
    """A light check's body for an adult with an unremarkable name, `fields` replacing any of it."""
    return {
        "tier": "light",
        "full_name": "Erika Mustermann",
        "date_of_birth": "1984-08-12",
        "country": "DE",
    } | fields


def finished(customer: Customer, check_id: str, timeout: float = 20.0) -> dict[str, Any]:
    """The check once the provider's result arrived (its status no longer `pending`)."""
    stop = threading.Event()
    for _ in range(int(timeout * 20)):
        found: dict[str, Any] = customer.get(f"/v1/kyc/checks/{check_id}").json()
        if found["status"] != "pending":
            return found
        stop.wait(0.05)
    raise AssertionError(f"check {check_id} is still pending after {timeout} s")
