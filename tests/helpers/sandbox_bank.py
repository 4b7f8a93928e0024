"""The sandbox bank as a real process for tests (`python -m payments.sandbox.bank`), on a free loopback port
with its own database file under the test's directory; it can be killed with SIGKILL and restarted on the
same port and database, as a crash would leave it."""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chain.paths import PROJECT_ROOT
from payments.rails.bank.client import BankConnection
from payments.rails.bank.pain001 import Party
from scripts._support.processes import LOOPBACK, ManagedProcess, free_port

READY = "sandbox bank ready on"
COLLECTION = Party("TPWallet collection", "DE75999999991000000000", "TPWSDEB1XXX")
WEBHOOK_SECRET = "whsec_sandbox_bank_test_secret"


@dataclass
class BankProcess:
    directory: Path
    webhook_url: str | None
    settlement_delay_seconds: float = 0.5
    port: int = field(default_factory=free_port)
    starts: int = 0
    process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def secret_path(self) -> Path:
        return self.directory / "webhook.secret"

    @property
    def api_settings(self) -> dict[str, Any]:
        """The API settings (`ApiSettings` fields) that make this bank the bank rail's."""
        return {"bank_url": self.url, "bank_webhook_secret_path": self.secret_path}

    def connection(self) -> BankConnection:
        return BankConnection(self.url, COLLECTION)

    def start(self) -> "BankProcess":
        self.directory.mkdir(parents=True, exist_ok=True)
        self.secret_path.write_text(WEBHOOK_SECRET)
        self.secret_path.chmod(0o600)
        env = dict(os.environ) | {
            "TPW_SANDBOX_BANK_HOST": LOOPBACK,
            "TPW_SANDBOX_BANK_PORT": str(self.port),
            "TPW_SANDBOX_BANK_DATABASE_PATH": str(self.directory / "bank.db"),
            "TPW_SANDBOX_BANK_SETTLEMENT_DELAY_SECONDS": str(self.settlement_delay_seconds),
            "TPW_SANDBOX_BANK_WEBHOOK_SECRET_PATH": str(self.secret_path),
            "TPW_SANDBOX_BANK_MAX_RETRY_SECONDS": "1",
            "TPW_SANDBOX_BANK_POLL_INTERVAL_SECONDS": "0.05",
        }
        if self.webhook_url is not None:
            env["TPW_SANDBOX_BANK_WEBHOOK_URL"] = self.webhook_url
        self.starts += 1
        log_path = self.directory / f"bank-{self.starts}.log"
        argv = [sys.executable, "-m", "payments.sandbox.bank"]
        self.process = ManagedProcess(
            "sandbox-bank", argv, log_path=log_path, env=env, cwd=PROJECT_ROOT
        ).start()
        self.process.wait_ready(lambda: READY in log_path.read_text(errors="replace"), timeout=30)
        return self

    def kill(self) -> None:
        """SIGKILL: a crash, not a shutdown."""
        if self.process is not None:
            self.process.kill()

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


@contextmanager
def running_bank(
    directory: Path, webhook_url: str | None, settlement_delay_seconds: float = 0.5
) -> Iterator[BankProcess]:
    bank = BankProcess(directory, webhook_url, settlement_delay_seconds).start()
    try:
        yield bank
    finally:
        bank.stop()
