"""The sandbox KYC provider as a real process for tests (`python -m payments.sandbox.kyc`), on a free
loopback port with its own database under the test's directory, its webhooks signed with a test secret."""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chain.paths import PROJECT_ROOT
from scripts._support.processes import LOOPBACK, ManagedProcess, free_port

READY = "sandbox kyc ready on"
WEBHOOK_SECRET = "whsec_sandbox_kyc_test_secret"


@dataclass
class KycProviderProcess:
    directory: Path
    webhook_url: str | None
    processing_delay_seconds: float = 0.2
    port: int = field(default_factory=free_port)
    process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def secret_path(self) -> Path:
        return self.directory / "webhook.secret"

    @property
    def api_settings(self) -> dict[str, Any]:
        """The API settings (`ApiSettings` fields) that make this the API's KYC provider."""
        return {"kyc_provider_url": self.url, "kyc_webhook_secret_path": self.secret_path}

    def start(self) -> "KycProviderProcess":
        self.directory.mkdir(parents=True, exist_ok=True)
        self.secret_path.write_text(WEBHOOK_SECRET)
        self.secret_path.chmod(0o600)
        env = dict(os.environ) | {
            "TPW_SANDBOX_KYC_HOST": LOOPBACK,
            "TPW_SANDBOX_KYC_PORT": str(self.port),
            "TPW_SANDBOX_KYC_DATABASE_PATH": str(self.directory / "kyc.db"),
            "TPW_SANDBOX_KYC_PROCESSING_DELAY_SECONDS": str(self.processing_delay_seconds),
            "TPW_SANDBOX_KYC_WEBHOOK_SECRET_PATH": str(self.secret_path),
            "TPW_SANDBOX_KYC_MAX_RETRY_SECONDS": "1",
            "TPW_SANDBOX_KYC_POLL_INTERVAL_SECONDS": "0.05",
        }
        if self.webhook_url is not None:
            env["TPW_SANDBOX_KYC_WEBHOOK_URL"] = self.webhook_url
        log_path = self.directory / "kyc.log"
        argv = [sys.executable, "-m", "payments.sandbox.kyc"]
        self.process = ManagedProcess(
            "sandbox-kyc", argv, log_path=log_path, env=env, cwd=PROJECT_ROOT
        ).start()
        self.process.wait_ready(lambda: READY in log_path.read_text(errors="replace"), timeout=30)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


@contextmanager
def running_kyc_provider(directory: Path, webhook_url: str | None) -> Iterator[KycProviderProcess]:
    provider = KycProviderProcess(directory, webhook_url).start()
    try:
        yield provider
    finally:
        provider.stop()
