"""The sandbox bank's settings, from the environment (`TPW_SANDBOX_BANK_`): where it listens, where it keeps
its books, where it sends its webhooks and with which secret (a FILE: the secret never travels in the
environment), and how long a transfer takes to settle."""

from pathlib import Path
from typing import Final

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from chain.paths import PROJECT_ROOT

COLLECTION_IBAN: Final = "DE75999999991000000000"
"""The platform's collection account at this bank (the API's `TPW_BANK_COLLECTION_IBAN` default)."""
BANK_BIC: Final = "TPWSDEB1XXX"
"""This bank's BIC (the API's `TPW_BANK_COLLECTION_BIC` default)."""


class BankSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TPW_SANDBOX_BANK_", hide_input_in_errors=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8700, ge=0, le=65535)
    """0: any free port (the readiness line says which)."""
    database_path: Path = PROJECT_ROOT / "var" / "sandbox-bank" / "bank.db"
    """The bank's own SQLite database: accounts, transfers, entries and the webhook outbox."""
    webhook_url: str | None = None
    """Where pain.002 and camt.054 webhooks go (the API's `/v1/rails/bank/events`); unset: kept."""
    webhook_secret_path: Path | None = None
    """The file holding the webhook signing secret shared with the API."""
    settlement_delay_seconds: float = Field(default=2.0, ge=0, le=86_400)
    """How long after acceptance a transfer is executed (debited, credited, notified)."""
    collection_iban: str = COLLECTION_IBAN
    """The platform's account here: its bookings are notified (camt.054) and it is opened at start."""
    poll_interval_seconds: float = Field(default=0.1, gt=0, le=60)
    """How often the worker looks for transfers to settle and webhooks to send."""
    max_retry_seconds: float = Field(default=30.0, gt=0, le=3600)
    """The longest wait between two attempts of a webhook the API did not take (backoff doubles up to it)."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    def webhook_secret(self) -> str | None:
        """The signing secret, read from its file (None when webhooks are off)."""
        if self.webhook_secret_path is None:
            return None
        secret = self.webhook_secret_path.read_text().strip()
        if not secret:
            raise ValueError(f"the webhook secret file {self.webhook_secret_path} is empty")
        return secret
