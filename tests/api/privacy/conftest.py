"""The /v1/privacy tests' fixtures: the identity app (SIWE sign-in, a moved clock) plus an analytics key,
customers' browsers, and operators' keys."""

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.auth import Scope, issue_api_key
from api.settings import ApiSettings
from tests.api.identity.conftest import Browser, Clock, app, client, clock  # noqa: F401  (fixtures)
from tests.helpers.db import session_on
from tests.risk.identity.conftest import CHAIN_ID, DOMAIN, URI


def _key_file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_hex(32))
    path.chmod(0o600)
    return path


@pytest.fixture
def settings(api_settings: ApiSettings, tmp_path: Path) -> ApiSettings:
    return api_settings.model_copy(
        update={
            "auth_session_key_path": _key_file(tmp_path / "identity" / "session.key"),
            "factor_key_path": _key_file(tmp_path / "risk" / "factors.key"),
            "privacy_analytics_key_path": _key_file(tmp_path / "risk" / "analytics.key"),
            "siwe_domain": DOMAIN,
            "siwe_uri": URI,
            "siwe_chain_ids": [CHAIN_ID],
        }
    )


@pytest.fixture
def sign_in(client: TestClient, clock: Clock) -> Callable[[], Browser]:  # noqa: F811
    """A new customer, signed in with a fresh wallet."""

    def make() -> Browser:
        browser = Browser(client, clock)
        browser.sign_in()
        return browser

    return make


@pytest.fixture
def operator(settings: ApiSettings) -> Callable[..., dict[str, str]]:
    """The Authorization header of a new operator key with `scopes`."""

    def make(*scopes: Scope) -> dict[str, str]:
        with session_on(settings.database_url) as session:
            return {"Authorization": f"Bearer {issue_api_key(session, 'privacy-test', scopes).token}"}

    return make
