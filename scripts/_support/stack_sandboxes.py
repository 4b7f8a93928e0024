"""The stack's sandbox counterparts, each its own process with its own database: the bank (ISO 20022), the
card processor and the KYC provider, sending their signed webhooks to the API.

The secret each shares with the API is a 0600 file of the run named to both by its path (the card processor
creates its own files 0600 at start), never a value in an environment. The functions here build the processes;
the stack starts each and waits for its `*_STARTED` line in its log.
"""

import os
import secrets
import sys
from pathlib import Path
from typing import Final

from chain.files import PRIVATE, write_atomic
from chain.paths import PROJECT_ROOT
from scripts._support.processes import LOOPBACK, ManagedProcess

BANK_STARTED: Final = "sandbox bank ready on"  # what `payments.sandbox.bank` prints once it is listening
BANK_EVENTS_PATH: Final = "/v1/rails/bank/events"
KYC_STARTED: Final = "sandbox kyc ready on"  # what `payments.sandbox.kyc` prints once it is listening
KYC_EVENTS_PATH: Final = "/v1/rails/kyc/events"
CARD_PROCESSOR_STARTED: Final = "card processor ready"  # what `payments.sandbox.card` logs once it serves
CARD_EVENTS_PATH: Final = "/v1/rails/card/events"


def _without(prefix: str) -> dict[str, str]:
    """This process's environment less the variables of `prefix` (a shell's leftovers are not passed on)."""
    return {name: value for name, value in os.environ.items() if not name.startswith(prefix)}


def _webhook_secret(path: Path) -> Path:
    write_atomic(path, f"whsec_{secrets.token_hex(32)}".encode(), mode=PRIVATE)
    return path


def bank_process(run_dir: Path, log_dir: Path, port: int, api_url: str) -> tuple[ManagedProcess, Path]:
    """`python -m payments.sandbox.bank` with its database in `run_dir`, and the webhook secret file."""
    secret_file = _webhook_secret(run_dir / "bank" / "webhook.secret")
    env = _without("TPW_SANDBOX_BANK_") | {
        "TPW_SANDBOX_BANK_HOST": LOOPBACK,
        "TPW_SANDBOX_BANK_PORT": str(port),
        "TPW_SANDBOX_BANK_DATABASE_PATH": str(run_dir / "bank" / "bank.db"),
        "TPW_SANDBOX_BANK_WEBHOOK_URL": api_url + BANK_EVENTS_PATH,
        "TPW_SANDBOX_BANK_WEBHOOK_SECRET_PATH": str(secret_file),
    }
    argv = [sys.executable, "-m", "payments.sandbox.bank"]
    return ManagedProcess("bank", argv, log_path=log_dir / "bank.log", env=env, cwd=PROJECT_ROOT), secret_file


def card_processor_process(
    run_dir: Path, log_dir: Path, port: int, api_url: str
) -> tuple[ManagedProcess, Path]:
    """`python -m payments.sandbox.card`, and its directory in `run_dir`: its database, vault key, the API's
    credential and the webhook secret are files there (`api-credential`, `webhook-secret`)."""
    card_dir = run_dir / "card"
    env = _without("TPW_SANDBOX_CARD_") | {
        "TPW_SANDBOX_CARD_HOST": LOOPBACK,
        "TPW_SANDBOX_CARD_PORT": str(port),
        "TPW_SANDBOX_CARD_DATABASE_PATH": str(card_dir / "processor.db"),
        "TPW_SANDBOX_CARD_VAULT_KEY_PATH": str(card_dir / "vault.key"),
        "TPW_SANDBOX_CARD_API_CREDENTIAL_PATH": str(card_dir / "api-credential"),
        "TPW_SANDBOX_CARD_WEBHOOK_SECRET_PATH": str(card_dir / "webhook-secret"),
        "TPW_SANDBOX_CARD_WEBHOOK_URL": api_url + CARD_EVENTS_PATH,
    }
    argv = [sys.executable, "-m", "payments.sandbox.card"]
    log_path = log_dir / "card-processor.log"
    return ManagedProcess("card-processor", argv, log_path=log_path, env=env, cwd=PROJECT_ROOT), card_dir


def kyc_provider_process(
    run_dir: Path, log_dir: Path, port: int, api_url: str
) -> tuple[ManagedProcess, Path]:
    """`python -m payments.sandbox.kyc` with its database in `run_dir`, and the webhook secret file."""
    secret_file = _webhook_secret(run_dir / "kyc" / "webhook.secret")
    env = _without("TPW_SANDBOX_KYC_") | {
        "TPW_SANDBOX_KYC_HOST": LOOPBACK,
        "TPW_SANDBOX_KYC_PORT": str(port),
        "TPW_SANDBOX_KYC_DATABASE_PATH": str(run_dir / "kyc" / "kyc.db"),
        "TPW_SANDBOX_KYC_WEBHOOK_URL": api_url + KYC_EVENTS_PATH,
        "TPW_SANDBOX_KYC_WEBHOOK_SECRET_PATH": str(secret_file),
    }
    argv = [sys.executable, "-m", "payments.sandbox.kyc"]
    log_path = log_dir / "kyc-provider.log"
    return ManagedProcess("kyc-provider", argv, log_path=log_path, env=env, cwd=PROJECT_ROOT), secret_file
