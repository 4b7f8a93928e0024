"""The sandbox KYC provider's settings, from the environment (`TPW_SANDBOX_KYC_`): where it listens, its
database, where its webhooks go and the FILE of their signing secret (never the secret itself: the
environment of a long-running process holds none), and how long a check takes."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from chain.paths import PROJECT_ROOT


class KycProviderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TPW_SANDBOX_KYC_", hide_input_in_errors=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8620, ge=0, le=65535)
    """0: any free port (the readiness line says which)."""
    database_path: Path = PROJECT_ROOT / "var" / "sandbox-kyc" / "kyc.db"
    """The provider's own SQLite database: checks and the webhook outbox."""
    webhook_url: str | None = None
    """Where results go (the API's `/v1/rails/kyc/events`); unset: kept in the outbox."""
    webhook_secret_path: Path | None = None
    """The file holding the webhook signing secret shared with the API."""
    processing_delay_seconds: float = Field(default=2.0, ge=0, le=86_400)
    """How long after submission a check completes and its result is sent."""
    poll_interval_seconds: float = Field(default=0.1, gt=0, le=60)
    max_retry_seconds: float = Field(default=30.0, gt=0, le=3600)
    """The longest wait between two attempts of a webhook the API did not take."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    def webhook_secret(self) -> str | None:
        """The signing secret, read from its file (None when webhooks are off)."""
        if self.webhook_secret_path is None:
            return None
        secret = self.webhook_secret_path.read_text().strip()
        if not secret:
            raise ValueError(f"the webhook secret file {self.webhook_secret_path} is empty")
        return secret
