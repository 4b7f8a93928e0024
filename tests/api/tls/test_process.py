"""`python -m api` with `TPW_API_TLS`: the real process serves HTTPS with the server certificate it issued
under `TPW_API_TLS_DIR`, and its requests carry the TLS extension (a live merchant key without a
certificate is told `no-certificate`, not `plain-http`)."""

import os
import ssl
import sys
from pathlib import Path

import httpx
import pytest

from api.auth import issue_api_key
from chain.paths import PROJECT_ROOT
from scripts._support.processes import LOOPBACK, ManagedProcess, free_port
from tests.api.merchants.conftest import APPLICATION
from tests.helpers.db import session_on


@pytest.mark.slow
def test_the_api_process_serves_tls_and_hands_the_connection_to_the_app(tmp_path: Path, sqlite_url: str):
    port = free_port()
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("TPW_")}
    env = {
        **inherited,
        "TPW_DATABASE_URL": sqlite_url,
        "TPW_API_HOST": LOOPBACK,
        "TPW_API_PORT": str(port),
        "TPW_API_TLS": "true",
        "TPW_API_TLS_DIR": str(tmp_path / "tls"),
        "TPW_MERCHANT_CA_DIR": str(tmp_path / "merchants"),
        "TPW_DEPLOYMENTS_DIR": str(tmp_path / "deployments"),
        "TPW_CUSTODY_ROSTER_PATH": str(tmp_path / "no-custody" / "roster.json"),
        "TPW_CUSTODY_TLS_DIR": str(tmp_path / "no-custody"),
        "TPW_CUSTODY_AUDIT_PATH": str(tmp_path / "audit.jsonl"),
        "TPW_LOG_LEVEL": "WARNING",
    }
    url = f"https://{LOOPBACK}:{port}"
    process = ManagedProcess(
        "api", [sys.executable, "-m", "api"], log_path=tmp_path / "api.log", env=env, cwd=PROJECT_ROOT
    )
    process.start()
    try:
        ca = tmp_path / "tls" / "ca.crt"  # written by the process as it starts
        process.wait_ready(
            lambda: (
                httpx.get(
                    f"{url}/health", verify=ssl.create_default_context(cafile=ca), timeout=2
                ).status_code
                > 0
            ),
            timeout=60,
        )
        context = ssl.create_default_context(cafile=ca)
        with session_on(sqlite_url) as session:
            admin = {"Authorization": f"Bearer {issue_api_key(session, 'desk', ['merchants:admin']).token}"}
        with httpx.Client(base_url=url, verify=context, timeout=30) as client:
            applied = client.post(
                "/v1/merchants/applications", json=APPLICATION, headers={**admin, "Idempotency-Key": "apply"}
            )
            merchant_id = applied.json()["id"]
            approved = client.post(
                f"/v1/merchants/{merchant_id}/approve", headers={**admin, "Idempotency-Key": "approve"}
            )
            tokens = {key["mode"]: key["token"] for key in approved.json()["api_keys"]}
            live = client.get("/v1/merchant", headers={"Authorization": f"Bearer {tokens['live']}"})
            sandbox = client.get("/v1/merchant", headers={"Authorization": f"Bearer {tokens['sandbox']}"})
        assert live.status_code == 403, live.text
        assert live.json()["reason"] == "no-certificate"
        assert sandbox.status_code == 200, sandbox.text
    finally:
        process.stop()
