"""The sandbox bank's settings, from the environment (`TPW_SANDBOX_BANK_`): those of every counterpart
(`payments.sandbox.settings`: where it listens, where its webhooks go, the FILE of their secret), and where it
keeps its books and how long a transfer takes to settle."""

from pathlib import Path
from typing import Final

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from chain.paths import PROJECT_ROOT
from payments.sandbox.settings import CounterpartSettings

COLLECTION_IBAN: Final = "DE75999999991000000000"
"""The platform's collection account at this bank (the API's `TPW_BANK_COLLECTION_IBAN` default)."""
BANK_BIC: Final = "TPWSDEB1XXX"
"""This bank's BIC (the API's `TPW_BANK_COLLECTION_BIC` default)."""


class BankSettings(CounterpartSettings):
    model_config = SettingsConfigDict(env_prefix="TPW_SANDBOX_BANK_", hide_input_in_errors=True)

    port: int = Field(default=8700, ge=0, le=65535)
    """0: any free port (the readiness line says which)."""
    database_path: Path = PROJECT_ROOT / "var" / "sandbox-bank" / "bank.db"
    """The bank's own SQLite database: accounts, transfers, entries and the webhook outbox."""
    settlement_delay_seconds: float = Field(default=2.0, ge=0, le=86_400)
    """How long after acceptance a transfer is executed (debited, credited, notified)."""
    collection_iban: str = COLLECTION_IBAN
    """The platform's account here: its bookings are notified (camt.054) and it is opened at start."""
