"""The mTLS policy without TLS: with `merchant_mtls` on, a merchant key of a covered mode over plain HTTP is
refused (no header makes plain HTTP pass for TLS); `all` covers sandbox keys too; operators' keys are never
covered. (The app under the TestClient speaks plain HTTP: the scope has no TLS extension.)"""

from pathlib import Path

import pytest

from api.settings import ApiSettings
from tests.api.merchants.conftest import Caller, Onboarded


@pytest.fixture
def api_settings(api_settings: ApiSettings, database_url: str, tmp_path: Path) -> ApiSettings:
    """The base settings (parametrized over `database_url` like them) with every merchant key covered."""
    return api_settings.model_copy(update={"merchant_mtls": "all"})


def test_plain_http_refuses_covered_merchant_keys_whatever_the_headers_say(
    merchant_a: Onboarded, admin: Caller
):
    for caller in (merchant_a.live, merchant_a.sandbox):
        for headers in ({}, {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}):
            response = caller.client.get(
                "/v1/merchant", headers={"Authorization": f"Bearer {caller.token}", **headers}
            )
            assert response.status_code == 403, response.text
            assert response.json()["type"] == "urn:tpwallet:problem:client-certificate-required"
            assert response.json()["reason"] == "plain-http"
            assert "HTTPS" in response.json()["detail"]
    assert admin.get(f"/v1/merchants/{merchant_a.id}").status_code == 200


def test_the_policy_defaults_follow_tls():
    assert ApiSettings().merchant_mtls_modes == frozenset()
    assert ApiSettings(api_tls=True).merchant_mtls_modes == frozenset({True})
    assert ApiSettings(api_tls=True, merchant_mtls="off").merchant_mtls_modes == frozenset()
    assert ApiSettings(merchant_mtls="all").merchant_mtls_modes == frozenset({False, True})
