"""Fixtures of the screening API tests: the app with a sanctions list of the test's own (a copy of the
shipped sample, which the list route may replace) and operators' keys with chosen scopes."""

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.auth import Scope, issue_api_key
from api.settings import ApiSettings
from chain.paths import PROJECT_ROOT
from tests.api.payment_intents.conftest import Caller
from tests.helpers.db import session_on

SAMPLE_LIST = PROJECT_ROOT / "config" / "risk" / "sanctions"


@pytest.fixture
def list_dir(tmp_path: Path) -> Path:
    target = tmp_path / "sanctions"
    shutil.copytree(SAMPLE_LIST, target)
    return target


@pytest.fixture
def api_settings(api_settings: ApiSettings, list_dir: Path, database_url: str) -> ApiSettings:
    """The API's settings with the test's own list (`database_url` named so the backends reach here)."""
    return api_settings.model_copy(update={"screening_list_dir": list_dir})


NewOperator = Callable[..., Caller]


@pytest.fixture
def operator(client: TestClient, api_settings: ApiSettings) -> NewOperator:
    def with_scopes(*scopes: Scope) -> Caller:
        with session_on(api_settings.database_url) as session:
            token = issue_api_key(session, "compliance", scopes).token
        return Caller(client, token)

    return with_scopes
