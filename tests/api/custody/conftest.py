"""The custody API tests' fixtures: a real 3-node group (node processes over mutual TLS, started once per
module, holding no key yet), the API on it (`settings`, `app`), a caller with every scope (`api`) and a
fresh 2-of-3 key made by DKG through the API (`key`). Their helpers are `tests.helpers.custody_api`'s."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import SCOPES, issue_api_key
from api.settings import ApiSettings
from tests.helpers.custody_api import POLICY, Api
from tests.helpers.custody_nodes import CustodyGroup
from tests.helpers.db import session_on


@pytest.fixture(scope="module")
def group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CustodyGroup]:
    """Three signer-node processes holding no key yet; each test makes its own by DKG through the API."""
    with CustodyGroup(tmp_path_factory.mktemp("api-custody"), {}, size=3, policy_yaml=POLICY) as group:
        group.start()
        yield group


@pytest.fixture
def node_timeout() -> float:
    """The API's per-call timeout towards the nodes (a test that freezes nodes shortens it)."""
    return 5.0


@pytest.fixture
def settings(
    api_settings: ApiSettings, group: CustodyGroup, tmp_path: Path, node_timeout: float
) -> ApiSettings:
    return api_settings.model_copy(
        update={
            "custody_roster_path": group.nodes[1].data_dir / "roster.json",
            "custody_tls_dir": group.root / "coordinator",
            "custody_audit_path": tmp_path / "custody" / "audit.jsonl",
            "custody_timeout_seconds": node_timeout,
        }
    )


@pytest.fixture
def app(settings: ApiSettings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def api(client: TestClient, settings: ApiSettings) -> Api:
    with session_on(settings.database_url) as session:
        token = issue_api_key(session, "desk", SCOPES).token
    return Api(client, token)


@pytest.fixture
def key(api: Api) -> dict[str, Any]:
    """A fresh 2-of-3 key made by DKG through the API."""
    response = api.post("/keys", {"threshold": 2})
    assert response.status_code == 201, response.text
    return response.json()
