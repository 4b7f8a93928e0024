"""The processor's settings (`TPW_SANDBOX_CARD_*`): where it listens, its database, and its three secret
files. Secrets are only ever files (created 0600 when absent), never environment values, so the processor's
environment and its logs hold none."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from chain.paths import PROJECT_ROOT

STATE_DIR = PROJECT_ROOT / "var" / "sandbox" / "card"


class ProcessorSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TPW_SANDBOX_CARD_",
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
        use_attribute_docstrings=True,
    )

    host: str = "127.0.0.1"
    """Interface the processor binds to."""
    port: int = Field(default=8610, ge=1, le=65535)
    """TCP port it listens on."""
    public_url: str | None = None
    """Base URL customers' browsers reach it at (3-D Secure pages); default http://<host>:<port>."""
    database_path: Path = STATE_DIR / "processor.db"
    """Its own SQLite database: tokens, the vault, authorizations, bookings, the webhook outbox."""
    vault_key_path: Path = STATE_DIR / "vault.key"
    """32 random bytes sealing the PAN vault (AES-256-GCM); created 0600 when absent."""
    api_credential_path: Path = STATE_DIR / "api-credential"
    """The bearer secret the platform authenticates with; created 0600 when absent."""
    webhook_url: str | None = None
    """Where its events are POSTed (the platform's `/v1/rails/card/events`); unset: kept in the outbox."""
    webhook_secret_path: Path = STATE_DIR / "webhook-secret"
    """The secret its webhooks are signed with (`TPW-Signature`); created 0600 when absent."""
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    """Per-delivery timeout of a webhook."""

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
