"""The stack's sandbox counterparts, each its own process with its own database: the bank (ISO 20022), the
card processor and the KYC provider, sending their signed webhooks to the API.

The three are one shape (a `Sandbox`: an env prefix, a module, the API's events path, a log name, a directory
of the run), started by one function, `sandbox_process`; they differ only in the files each is named. The
secret each shares with the API is a 0600 file of the run named to both by its path (the card processor
creates its own files 0600 at start; the bank's and the KYC provider's are made here), never a value in an
environment. The functions here build the processes; the stack starts each and waits for its `started` line
in its log.
"""

import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from chain.files import PRIVATE, write_atomic
from chain.paths import PROJECT_ROOT
from scripts._support.processes import LOOPBACK, ManagedProcess
from scripts._support.stack.config import DevnetSettings, Progress


@dataclass(frozen=True)
class Sandbox:
    """One sandbox counterpart: `python -m {module}` reading `{env_prefix}*`, its files in `{directory}` of
    the run, its log `{name}.log`, its webhooks to the API's `events_path`; `started` is what it prints once
    it serves."""

    name: str
    module: str
    env_prefix: str
    directory: str
    events_path: str
    started: str


BANK: Final = Sandbox(
    "bank",
    "payments.sandbox.bank",
    "TPW_SANDBOX_BANK_",
    "bank",
    "/v1/rails/bank/events",
    "sandbox bank ready on",
)
CARD_PROCESSOR: Final = Sandbox(
    "card-processor",
    "payments.sandbox.card",
    "TPW_SANDBOX_CARD_",
    "card",
    "/v1/rails/card/events",
    "card processor ready",
)
KYC_PROVIDER: Final = Sandbox(
    "kyc-provider",
    "payments.sandbox.kyc",
    "TPW_SANDBOX_KYC_",
    "kyc",
    "/v1/rails/kyc/events",
    "sandbox kyc ready on",
)


def sandbox_process(
    sandbox: Sandbox, log_dir: Path, port: int, api_url: str, files: dict[str, Path]
) -> ManagedProcess:
    """`python -m {sandbox.module}` on `port`, its webhooks to `api_url`, and each of `files` named to it
    as `{env_prefix}{key}`; this process's own `{env_prefix}*` variables (a shell's leftovers) are not
    passed on."""
    prefix = sandbox.env_prefix
    inherited = {name: value for name, value in os.environ.items() if not name.startswith(prefix)}
    env = inherited | {
        f"{prefix}HOST": LOOPBACK,
        f"{prefix}PORT": str(port),
        f"{prefix}WEBHOOK_URL": api_url + sandbox.events_path,
    }
    env |= {prefix + key: str(path) for key, path in files.items()}
    argv = [sys.executable, "-m", sandbox.module]
    log_path = log_dir / f"{sandbox.name}.log"
    return ManagedProcess(sandbox.name, argv, log_path=log_path, env=env, cwd=PROJECT_ROOT)


def webhook_sandbox_process(
    sandbox: Sandbox, run_dir: Path, log_dir: Path, port: int, api_url: str
) -> tuple[ManagedProcess, Path]:
    """The bank or the KYC provider: its database `{directory}/{directory}.db` in `run_dir`, and the webhook
    secret file made for it here (`{directory}/webhook.secret`), returned for the API."""
    directory = run_dir / sandbox.directory
    secret_file = directory / "webhook.secret"
    write_atomic(secret_file, f"whsec_{secrets.token_hex(32)}".encode(), mode=PRIVATE)
    files = {"DATABASE_PATH": directory / f"{sandbox.directory}.db", "WEBHOOK_SECRET_PATH": secret_file}
    return sandbox_process(sandbox, log_dir, port, api_url, files), secret_file


def card_processor_process(
    run_dir: Path, log_dir: Path, port: int, api_url: str
) -> tuple[ManagedProcess, Path]:
    """The card processor, and its directory in `run_dir`: its database, vault key, the API's credential
    and the webhook secret are files there (`api-credential`, `webhook-secret`) that it creates itself."""
    card_dir = run_dir / CARD_PROCESSOR.directory
    files = {
        "DATABASE_PATH": card_dir / "processor.db",
        "VAULT_KEY_PATH": card_dir / "vault.key",
        "API_CREDENTIAL_PATH": card_dir / "api-credential",
        "WEBHOOK_SECRET_PATH": card_dir / "webhook-secret",
    }
    return sandbox_process(CARD_PROCESSOR, log_dir, port, api_url, files), card_dir


@dataclass(frozen=True)
class SandboxLinks:
    """Where the API reaches each sandbox counterpart, and the files of the secrets it shares with each."""

    bank_url: str
    bank_secret_file: Path
    card_processor_url: str
    card_dir: Path  # the card processor's own files: `api-credential` and `webhook-secret` among them
    kyc_provider_url: str
    kyc_secret_file: Path


def start_sandboxes(
    settings: DevnetSettings,
    run_dir: Path,
    log_dir: Path,
    api_url: str,
    progress: Progress,
    launch: Callable[[ManagedProcess, str], ManagedProcess],
) -> SandboxLinks:
    """The bank, the card processor and the KYC provider, each `launch`ed (started and waited for) in turn;
    where the API reaches them, and their secrets' files."""
    bank_url = f"http://{LOOPBACK}:{settings.bank_port}"
    card_processor_url = f"http://{LOOPBACK}:{settings.card_processor_port}"
    kyc_provider_url = f"http://{LOOPBACK}:{settings.kyc_provider_port}"
    with progress.step(f"starting the sandbox bank (ISO 20022 pain.001/pain.002/camt) on {bank_url}"):
        bank, bank_secret_file = webhook_sandbox_process(BANK, run_dir, log_dir, settings.bank_port, api_url)
        launch(bank, BANK.started)
    with progress.step(f"starting the sandbox card processor on {card_processor_url}"):
        processor, card_dir = card_processor_process(run_dir, log_dir, settings.card_processor_port, api_url)
        launch(processor, CARD_PROCESSOR.started)
    with progress.step(f"starting the sandbox KYC provider on {kyc_provider_url}"):
        provider, kyc_secret_file = webhook_sandbox_process(
            KYC_PROVIDER, run_dir, log_dir, settings.kyc_provider_port, api_url
        )
        launch(provider, KYC_PROVIDER.started)
    return SandboxLinks(
        bank_url, bank_secret_file, card_processor_url, card_dir, kyc_provider_url, kyc_secret_file
    )
