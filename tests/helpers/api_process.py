"""The API as a real process (``python -m api`` under uvicorn), over a `CustodyGroup` of node processes or
with custody unconfigured: for tests that need what only a real server shows (its headers, many connections
at once, a `kill -9`).

`ApiProcess` starts the API on a free loopback port with its database and the group's roster, waits until
`/health` answers (any status: the chains may be down), issues an API key with every scope straight into
its database, onboards merchants through the API, and can SIGKILL and restart it on the same database.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth import SCOPES, issue_api_key
from api.db import make_engine
from api.models import CustodySignRequest
from chain.paths import PROJECT_ROOT
from scripts._support.processes import LOOPBACK, ManagedProcess, free_port
from tests.helpers.custody_nodes import CustodyGroup

MERCHANT_APPLICATION: Final[dict[str, Any]] = {
    "country": "DE",
    "settlement_currency": "EUR",
    "fees": {
        "card": {"basis_points": 290, "fixed": "30"},
        "bank": {"basis_points": 80, "fixed": "0"},
        "stablecoin": {"basis_points": 50, "fixed": "0"},
    },
}
"""A merchant application but for its legal name."""


def _custody_env(group: CustodyGroup) -> dict[str, str]:
    return {
        "TPW_CUSTODY_ROSTER_PATH": str(group.nodes[min(group.nodes)].data_dir / "roster.json"),
        "TPW_CUSTODY_TLS_DIR": str(group.root / "coordinator"),
    }


def _no_custody_env(root: Path) -> dict[str, str]:
    """Paths under `root` that hold nothing, so the server never picks up a roster of the checkout's."""
    return {
        "TPW_CUSTODY_ROSTER_PATH": str(root / "no-custody" / "roster.json"),
        "TPW_CUSTODY_TLS_DIR": str(root / "no-custody"),
    }


class ApiProcess:
    """One API server process on `database_url`, hosting the coordinator of `group` (no custody without one:
    its roster path then names nothing, and the custody routes answer 503)."""

    def __init__(
        self,
        root: Path,
        group: CustodyGroup | None,
        database_url: str,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.root = root
        self.database_url = database_url
        self.port = free_port()
        inherited = {name: value for name, value in os.environ.items() if not name.startswith("TPW_")}
        self.env = {
            **inherited,
            "TPW_DATABASE_URL": database_url,
            "TPW_API_HOST": LOOPBACK,
            "TPW_API_PORT": str(self.port),
            "TPW_DEPLOYMENTS_DIR": str(root / "deployments"),
            **(_custody_env(group) if group is not None else _no_custody_env(root)),
            "TPW_CUSTODY_AUDIT_PATH": str(root / "audit.jsonl"),
            "TPW_LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        self.process: ManagedProcess | None = None
        self.token = ""

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> Self:
        """Start the server and wait until it answers; the first start also issues `token`."""
        self.process = ManagedProcess(
            "api",
            [sys.executable, "-m", "api"],
            log_path=self.root / "api.log",
            env=self.env,
            cwd=PROJECT_ROOT,
        ).start()
        self.process.wait_ready(
            lambda: httpx.get(f"{self.url}/health", timeout=2).status_code > 0, timeout=60
        )
        if not self.token:
            with self._session() as session:
                self.token = issue_api_key(session, "load", SCOPES).token
        return self

    def kill(self) -> None:
        """SIGKILL the server (a crash: no shutdown, no cleanup)."""
        if self.process is not None:
            self.process.kill()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    @contextlib.contextmanager
    def _session(self) -> Iterator[Session]:
        engine = make_engine(self.database_url)
        try:
            with Session(engine) as session:
                yield session
        finally:
            engine.dispose()

    def sign_requests(self) -> list[str]:
        """The ids of every sign request stored, read from the database alongside the server."""
        with self._session() as session:
            return list(session.scalars(select(CustodySignRequest.id)))

    def count_sign_requests(self) -> int:
        with self._session() as session:
            return session.scalar(select(func.count()).select_from(CustodySignRequest)) or 0

    def onboard_merchant(self, legal_name: str) -> str:
        """Apply for and approve a merchant through the API with the operator's key: the token of the
        merchant's sandbox key."""
        application = {**MERCHANT_APPLICATION, "legal_name": legal_name}
        with httpx.Client(base_url=self.url, timeout=30) as client:
            apply = self.headers(f"apply-{secrets.token_hex(8)}")
            applied = client.post("/v1/merchants/applications", json=application, headers=apply)
            assert applied.status_code == 201, applied.text
            merchant_id = applied.json()["id"]
            approved = client.post(
                f"/v1/merchants/{merchant_id}/approve", headers=self.headers(f"approve-{merchant_id}")
            )
            assert approved.status_code == 200, approved.text
        (token,) = [key["token"] for key in approved.json()["api_keys"] if key["mode"] == "sandbox"]
        return str(token)

    def headers(self, idempotency_key: str | None = None) -> dict[str, str]:
        """The API key's Authorization header, with an Idempotency-Key when given."""
        headers = {"Authorization": f"Bearer {self.token}"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
