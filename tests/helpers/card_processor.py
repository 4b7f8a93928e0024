"""The sandbox card processor as a real process (`python -m payments.sandbox.card`) on a free loopback port:
its own database, vault key, credential and webhook secret files under `root`, and a kill -9 and restart
on the same state."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from chain.paths import PROJECT_ROOT
from scripts._support.processes import LOOPBACK, ManagedProcess, free_port

TEST_CARDS = {
    "success": "4242424242424242",
    "generic_decline": "4000000000000002",
    "insufficient_funds": "4000000000009995",
    "expired_card": "4000000000000069",
    "incorrect_cvc": "4000000000000127",
    "three_d_secure": "4000002760003184",
    "three_d_secure_then_insufficient_funds": "4000008260003178",
    "disputed": "4000000000000259",
}


class CardProcessor:
    def __init__(self, root: Path, webhook_url: str | None = None) -> None:
        self.root = root
        self.port = free_port()
        inherited = {name: value for name, value in os.environ.items() if not name.startswith("TPW_")}
        self.env = {
            **inherited,
            "TPW_SANDBOX_CARD_HOST": LOOPBACK,
            "TPW_SANDBOX_CARD_PORT": str(self.port),
            "TPW_SANDBOX_CARD_DATABASE_PATH": str(root / "processor.db"),
            "TPW_SANDBOX_CARD_VAULT_KEY_PATH": str(root / "vault.key"),
            "TPW_SANDBOX_CARD_API_CREDENTIAL_PATH": str(self.credential_path),
            "TPW_SANDBOX_CARD_WEBHOOK_SECRET_PATH": str(self.webhook_secret_path),
        }
        if webhook_url is not None:
            self.env["TPW_SANDBOX_CARD_WEBHOOK_URL"] = webhook_url
        self.process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def credential_path(self) -> Path:
        return self.root / "api-credential"

    @property
    def webhook_secret_path(self) -> Path:
        return self.root / "webhook-secret"

    @property
    def api_settings(self) -> dict[str, Any]:
        """The API settings (`ApiSettings` fields) that make this processor the card rail's."""
        return {
            "card_processor_url": self.url,
            "card_processor_credential_path": self.credential_path,
            "card_webhook_secret_path": self.webhook_secret_path,
        }

    @property
    def database_path(self) -> Path:
        return self.root / "processor.db"

    @property
    def log_path(self) -> Path:
        return self.root / "processor.log"

    def api_env(self) -> dict[str, str]:
        """The API's settings (`TPW_CARD_*`) that register the card rail on this processor."""
        return {
            "TPW_CARD_PROCESSOR_URL": self.url,
            "TPW_CARD_PROCESSOR_CREDENTIAL_PATH": str(self.credential_path),
            "TPW_CARD_WEBHOOK_SECRET_PATH": str(self.webhook_secret_path),
        }

    def start(self) -> Self:
        self.process = ManagedProcess(
            "card-processor",
            [sys.executable, "-m", "payments.sandbox.card"],
            log_path=self.log_path,
            env=self.env,
            cwd=PROJECT_ROOT,
        ).start()
        self.process.wait_ready(
            lambda: httpx.get(f"{self.url}/health", timeout=2).status_code == 200, timeout=60
        )
        return self

    def kill(self) -> None:
        """SIGKILL (a crash: no shutdown, nothing flushed but what was committed)."""
        if self.process is not None:
            self.process.kill()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def http(self) -> httpx.Client:
        """A client of its API with the platform's credential."""
        credential = self.credential_path.read_text().strip()
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {credential}"}, timeout=10)

    def token(self, http: httpx.Client, number: str, account: str = "acct_a", **card: Any) -> str:
        fields = {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"} | card
        response = http.post("/v1/tokens", json={"account": account, "card": fields})
        assert response.status_code == 200, response.text
        token: str = response.json()["id"]
        return token

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
