"""The sandbox KYC provider's settings, from the environment (`TPW_SANDBOX_KYC_`): those of every counterpart
(`payments.sandbox.settings`: where it listens, where its webhooks go, the FILE of their secret), its database
and how long a check takes."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from chain.paths import PROJECT_ROOT
from payments.sandbox.settings import CounterpartSettings


class KycProviderSettings(CounterpartSettings):
    model_config = SettingsConfigDict(env_prefix="TPW_SANDBOX_KYC_", hide_input_in_errors=True)

    port: int = Field(default=8620, ge=0, le=65535)
    """0: any free port (the readiness line says which)."""
    database_path: Path = PROJECT_ROOT / "var" / "sandbox-kyc" / "kyc.db"
    """The provider's own SQLite database: checks and the webhook outbox."""
    processing_delay_seconds: float = Field(default=2.0, ge=0, le=86_400)
    """How long after submission a check completes and its result is sent."""
