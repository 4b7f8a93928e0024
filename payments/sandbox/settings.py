"""What every queue-and-webhook sandbox counterpart (the bank, the KYC provider) is configured with: where it
listens, how often its worker runs, where its webhooks go, the FILE of their signing secret (never the secret
itself: the environment of a long-running process holds none) and how it retries them; and the sender those
settings make. Each counterpart subclasses it with its prefix, port, database and own delays."""

from pathlib import Path

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings
from sqlalchemy import Engine, Table

from payments.sandbox.delivery import WebhookSender


class CounterpartSettings(BaseSettings):
    host: str = "127.0.0.1"
    webhook_url: str | None = None
    """Where its webhooks go (the API's `/v1/rails/<rail>/events`); unset: kept in the outbox."""
    webhook_secret_path: Path | None = None
    """The file holding the webhook signing secret shared with the API."""
    poll_interval_seconds: float = Field(default=0.1, gt=0, le=60)
    """How often the worker looks for work that is due and webhooks to send."""
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

    def webhook_sender(self, engine: Engine, outbox: Table, content_type: str) -> WebhookSender | None:
        """The sender of the counterpart's outbox (`outbox`, in `engine`'s database), or None when webhooks
        are off (no URL or no secret file)."""
        secret = self.webhook_secret()
        if self.webhook_url is None or secret is None:
            return None
        http = httpx.Client(timeout=self.webhook_timeout_seconds)
        retry = self.max_retry_seconds
        return WebhookSender(engine, self.webhook_url, secret, http, retry, outbox, content_type)
