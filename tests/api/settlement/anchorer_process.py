"""`python -m relay.settlement` as the kill -9 tests run it: its environment (the devnet's chain and
registry, the API process it signs through, the database it shares with the API) and a count of batches."""

import os
import sys
from pathlib import Path

from sqlalchemy import Engine, func, select

from chain.dev_accounts import dev_accounts
from matching.settlement.schema import settlement_batches
from scripts._support.processes import ManagedProcess
from tests.helpers.api_process import ApiProcess


def anchorer_env(
    root: Path, rpc_url: str, deployments_dir: Path, api: ApiProcess, **settings: str
) -> dict[str, str]:
    """The process's environment: keys written under `root`, no `TPW_` variable inherited; `settings` are
    further `TPW_SETTLEMENT_*` values by lower-case name (e.g. `max_trades="1"`)."""
    (root / "api.key").write_text(api.token)
    (root / "relayer.key").write_text(dev_accounts()[6].key.hex())
    return {
        **{name: value for name, value in os.environ.items() if not name.startswith("TPW_")},
        "TPW_SETTLEMENT_RPC_URL": rpc_url,
        "TPW_SETTLEMENT_DEPLOYMENTS_DIR": str(deployments_dir),
        "TPW_SETTLEMENT_DATABASE_URL": api.database_url,
        "TPW_SETTLEMENT_API_URL": api.url,
        "TPW_SETTLEMENT_API_KEY_FILE": str(root / "api.key"),
        "TPW_SETTLEMENT_RELAYER_KEY_FILE": str(root / "relayer.key"),
        "TPW_SETTLEMENT_CONFIRMATIONS": "0",
        "TPW_SETTLEMENT_POLL_INTERVAL_SECONDS": "0.05",
        **{f"TPW_SETTLEMENT_{name.upper()}": value for name, value in settings.items()},
    }


def start_anchorer(root: Path, env: dict[str, str]) -> ManagedProcess:
    """The process started, logging to `root/anchorer.log` (each start writes it anew)."""
    argv = [sys.executable, "-m", "relay.settlement"]
    return ManagedProcess("anchorer", argv, log_path=root / "anchorer.log", env=env).start()


def batches_in(engine: Engine, status: str) -> int:
    """How many settlement batches are in `status`."""
    with engine.connect() as connection:
        count = connection.scalar(
            select(func.count()).select_from(settlement_batches).where(settlement_batches.c.status == status)
        )
    return int(count or 0)
