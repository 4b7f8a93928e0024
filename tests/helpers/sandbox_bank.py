"""The sandbox bank as a real process for tests (`python -m payments.sandbox.bank`), on a free loopback port
with its own database file under the test's directory; it can be killed with SIGKILL and restarted on the
same port and database, as a crash would leave it."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from payments.rails.bank.client import BankConnection
from payments.rails.bank.pain001 import Party
from tests.helpers.sandbox_process import SandboxProcess

COLLECTION = Party("TPWallet collection", "DE75999999991000000000", "TPWSDEB1XXX")
WEBHOOK_SECRET = "whsec_sandbox_bank_test_secret"


@dataclass
class BankProcess(SandboxProcess):
    settlement_delay_seconds: float = 0.5

    name = "bank"
    module = "payments.sandbox.bank"
    env_prefix = "TPW_SANDBOX_BANK_"
    ready = "sandbox bank ready on"
    webhook_secret = WEBHOOK_SECRET

    @property
    def api_settings(self) -> dict[str, Any]:
        """The API settings (`ApiSettings` fields) that make this bank the bank rail's."""
        return {"bank_url": self.url, "bank_webhook_secret_path": self.secret_path}

    def connection(self) -> BankConnection:
        return BankConnection(self.url, COLLECTION)

    def counterpart_env(self) -> dict[str, str]:
        return {
            "DATABASE_PATH": str(self.directory / "bank.db"),
            "SETTLEMENT_DELAY_SECONDS": str(self.settlement_delay_seconds),
        }


@contextmanager
def running_bank(
    directory: Path, webhook_url: str | None, settlement_delay_seconds: float = 0.5
) -> Iterator[BankProcess]:
    bank = BankProcess(directory, webhook_url, settlement_delay_seconds=settlement_delay_seconds).start()
    try:
        yield bank
    finally:
        bank.stop()
