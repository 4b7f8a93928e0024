"""The stack's L1 workers beside the API: the subscription keeper (`python -m relay.keeper`), the webhook
delivery worker (`python -m payments.webhooks.worker`) and the payments watcher (`python -m relay.payments`).

The functions here build each process; the stack starts it and waits for its `*_STARTED` line in its log.
The payments watcher's secrets (the devnet API key, the payout relayer's key) are 0600 files of the run named
by their paths.
"""

import os
import sys
from pathlib import Path
from typing import Final

from eth_account.signers.local import LocalAccount

from chain.dev_accounts import dev_accounts
from chain.files import PRIVATE, write_atomic
from chain.paths import PROJECT_ROOT
from scripts._support.processes import ManagedProcess
from scripts._support.stack.deployments import Chain

KEEPER_RELAYER_INDEX: Final = 8  # dev account 8 pays the subscription keeper's gas
PAYOUT_RELAYER_INDEX: Final = 7  # dev account 7 pays the gas of stablecoin refunds' payouts
KEEPER_STARTED: Final = "keeper for"  # what `relay.keeper` logs once it is running
WEBHOOKS_STARTED: Final = "webhook worker ready"  # what `payments.webhooks.worker` prints once it is running
PAYMENTS_WATCHER_STARTED: Final = "payments watcher for"  # what `relay.payments` logs once it is running
POLL_SECONDS: Final = "0.5"


def keeper_relayer() -> LocalAccount:
    """The dev account that pays the keeper's gas (it holds no authority over subscriptions)."""
    return dev_accounts()[KEEPER_RELAYER_INDEX]


def keeper_process(run_dir: Path, log_dir: Path, l1: Chain, deployments_dir: Path) -> ManagedProcess:
    """`python -m relay.keeper` on L1, its state (cursor, retry schedule) in the run's own database, its
    relayer's key in a 0600 file of the run (never in its environment)."""
    key_file = run_dir / "secrets" / "keeper-relayer.key"
    key_file.parent.mkdir(mode=0o700, exist_ok=True)
    write_atomic(key_file, ("0x" + bytes(keeper_relayer().key).hex()).encode(), mode=PRIVATE)
    env = {
        **os.environ,
        "TPW_KEEPER_RPC_URL": l1.url,
        "TPW_KEEPER_DEPLOYMENTS_NETWORK": l1.network,
        "TPW_KEEPER_DEPLOYMENTS_DIR": str(deployments_dir),
        "TPW_KEEPER_DATABASE_URL": f"sqlite:///{run_dir / 'keeper.db'}",
        "TPW_KEEPER_RELAYER_KEY_FILE": str(key_file),
        "TPW_KEEPER_CONFIRMATIONS": "1",
        "TPW_KEEPER_POLL_INTERVAL_SECONDS": POLL_SECONDS,
    }
    argv = [sys.executable, "-m", "relay.keeper"]
    return ManagedProcess("keeper", argv, log_path=log_dir / "keeper.log", env=env, cwd=PROJECT_ROOT)


def webhook_worker_process(log_dir: Path, database_url: str, key_file: Path) -> ManagedProcess:
    """`python -m payments.webhooks.worker` on the API's database, with the API's sealing key file."""
    argv = [sys.executable, "-m", "payments.webhooks.worker", "--environment", "dev"]
    argv += ["--database-url", database_url, "--key-file", str(key_file)]
    return ManagedProcess(
        "webhooks", argv, log_path=log_dir / "webhooks.log", env=os.environ, cwd=PROJECT_ROOT
    )


def payments_watcher_process(
    run_dir: Path,
    log_dir: Path,
    *,
    l1: Chain,
    deployments_dir: Path,
    database_url: str,
    api_url: str,
    api_key: str,
    custody_key_id: str,
    screening_list_dir: Path,
) -> ManagedProcess:
    """`python -m relay.payments` on L1: settles stablecoin intents in the API's database and pays their
    refunds back through the API's custody coordinator."""
    secrets_dir = run_dir / "payments"
    api_key_file, relayer_key_file = secrets_dir / "api.key", secrets_dir / "relayer.key"
    write_atomic(api_key_file, api_key.encode(), mode=PRIVATE)
    relayer = dev_accounts()[PAYOUT_RELAYER_INDEX]
    write_atomic(relayer_key_file, ("0x" + bytes(relayer.key).hex()).encode(), mode=PRIVATE)
    env = {
        **os.environ,
        "TPW_PAYMENTS_RPC_URL": l1.url,
        "TPW_PAYMENTS_DEPLOYMENTS_NETWORK": l1.network,
        "TPW_PAYMENTS_DEPLOYMENTS_DIR": str(deployments_dir),
        "TPW_PAYMENTS_DATABASE_URL": database_url,
        "TPW_PAYMENTS_CONFIRMATIONS": "1",
        "TPW_PAYMENTS_POLL_INTERVAL_SECONDS": POLL_SECONDS,
        "TPW_PAYMENTS_API_URL": api_url,
        "TPW_PAYMENTS_API_KEY_FILE": str(api_key_file),
        "TPW_PAYMENTS_RELAYER_KEY_FILE": str(relayer_key_file),
        "TPW_PAYMENTS_CUSTODY_KEY_ID": custody_key_id,
        "TPW_PAYMENTS_SCREENING_LIST_DIR": str(screening_list_dir),
    }
    argv = [sys.executable, "-m", "relay.payments"]
    return ManagedProcess("payments", argv, log_path=log_dir / "payments.log", env=env, cwd=PROJECT_ROOT)
