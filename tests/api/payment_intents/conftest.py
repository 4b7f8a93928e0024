"""Fixtures of the payment routes' tests: the app with the scripted card rail, and callers with keys."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import Scope, issue_api_key
from api.settings import ApiSettings
from payments.intents.model import RailKind
from tests.helpers.db import session_on
from tests.payments.intents.conftest import ScriptedRail


@dataclass
class Caller:
    """A caller with an API key of its own."""

    client: TestClient
    token: str
    keys: int = 0

    def _headers(self, key: str | None) -> dict[str, str]:
        self.keys += 1
        return {
            "Authorization": f"Bearer {self.token}",
            "Idempotency-Key": key or f"key-{id(self)}-{self.keys}",
        }

    def post(self, path: str, body: dict[str, Any] | None = None, key: str | None = None) -> httpx.Response:
        return self.client.post(path, json=body or {}, headers=self._headers(key))

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path, headers=self._headers(None))


NewCaller = Callable[..., Caller]


@pytest.fixture
def rail(app: FastAPI) -> ScriptedRail:
    rail = ScriptedRail()
    app.state.payment_rails = {RailKind.CARD: rail}
    return rail


@pytest.fixture
def new_caller(client: TestClient, api_settings: ApiSettings, rail: ScriptedRail) -> NewCaller:
    def make(*scopes: Scope) -> Caller:
        chosen = scopes or ("payments:read", "payments:write")
        with session_on(api_settings.database_url) as session:
            return Caller(client, issue_api_key(session, "merchant", chosen).token)

    return make


@pytest.fixture
def merchant(new_caller: NewCaller) -> Caller:
    return new_caller()
