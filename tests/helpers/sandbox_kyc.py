"""The sandbox KYC provider as a real process for tests (`python -m payments.sandbox.kyc`), on a free
loopback port with its own database under the test's directory, its webhooks signed with a test secret."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers.sandbox_process import SandboxProcess

WEBHOOK_SECRET = "whsec_sandbox_kyc_test_secret"


@dataclass
class KycProviderProcess(SandboxProcess):
    processing_delay_seconds: float = 0.2

    name = "kyc"
    module = "payments.sandbox.kyc"
    env_prefix = "TPW_SANDBOX_KYC_"
    ready = "sandbox kyc ready on"
    webhook_secret = WEBHOOK_SECRET

    @property
    def api_settings(self) -> dict[str, Any]:
        """The API settings (`ApiSettings` fields) that make this the API's KYC provider."""
        return {"kyc_provider_url": self.url, "kyc_webhook_secret_path": self.secret_path}

    def counterpart_env(self) -> dict[str, str]:
        return {
            "DATABASE_PATH": str(self.directory / "kyc.db"),
            "PROCESSING_DELAY_SECONDS": str(self.processing_delay_seconds),
        }


@contextmanager
def running_kyc_provider(directory: Path, webhook_url: str | None) -> Iterator[KycProviderProcess]:
    provider = KycProviderProcess(directory, webhook_url).start()
    try:
        yield provider
    finally:
        provider.stop()
