"""The stack's settlement pieces: the perpetual's price loop the API runs on the devnet pool, and the
settlement anchorer (`python -m relay.settlement`), its own process like the keeper.

The anchorer's secrets (the devnet API key, which has `custody:sign`, and its relayer's private key) are
0600 files of the run named by their paths, never values in its environment (readable in
`/proc/<pid>/environ`). On the devnet a batch is cut once its oldest trade has waited a second (the stack
config's `settlement_batch_age_seconds`) and is
recorded anchored as soon as its event is read (anvil mines each transaction at once), so a trade made by
the demo is on `SettlementAnchor` within seconds.
"""

import os
import sys
from pathlib import Path
from typing import Final

from chain.dev_accounts import dev_accounts
from chain.files import PRIVATE, write_atomic
from chain.liquidity import BASE, POOL_NAME
from chain.paths import PROJECT_ROOT
from scripts._support.processes import ManagedProcess

ANCHOR_RELAYER_INDEX: Final = 9  # dev account 9 pays the anchors' gas (no authority over them)
ANCHORER_STARTED: Final = "settlement anchorer for"  # what `relay.settlement` logs once it is running
ANCHORER_POLL_SECONDS: Final = "0.5"


def perp_pricing_env(interval_seconds: float) -> dict[str, str]:
    """The API's price loop on the devnet's TPW/tUSD pair, named as the registry records it: the API starts
    before the pool is deployed, and the loop finds it there once it is (`api.perps.pricing`)."""
    return {
        "TPW_PERP_INDEX_PAIR": POOL_NAME,
        "TPW_PERP_INDEX_BASE": BASE,
        "TPW_PERP_INDEX_NETWORK": "l1",
        "TPW_PERP_PRICE_INTERVAL_SECONDS": str(interval_seconds),
    }


def anchorer_process(
    run_dir: Path,
    log_dir: Path,
    *,
    rpc_url: str,
    network: str,
    deployments_dir: Path,
    database_url: str,
    api_url: str,
    api_key: str,
    custody_key_id: str,
    batch_age_seconds: float,
) -> ManagedProcess:
    """`python -m relay.settlement` on L1 and the API's database, signing through the API's coordinator;
    not started (the caller starts it and waits for `ANCHORER_STARTED` in its log)."""
    secrets_dir = run_dir / "settlement"
    api_key_file, relayer_key_file = secrets_dir / "api.key", secrets_dir / "relayer.key"
    write_atomic(api_key_file, api_key.encode(), mode=PRIVATE)
    relayer = dev_accounts()[ANCHOR_RELAYER_INDEX]
    write_atomic(relayer_key_file, ("0x" + bytes(relayer.key).hex()).encode(), mode=PRIVATE)
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("TPW_SETTLEMENT_")}
    env = inherited | {
        "TPW_SETTLEMENT_RPC_URL": rpc_url,
        "TPW_SETTLEMENT_DEPLOYMENTS_NETWORK": network,
        "TPW_SETTLEMENT_DEPLOYMENTS_DIR": str(deployments_dir),
        "TPW_SETTLEMENT_DATABASE_URL": database_url,
        "TPW_SETTLEMENT_API_URL": api_url,
        "TPW_SETTLEMENT_API_KEY_FILE": str(api_key_file),
        "TPW_SETTLEMENT_RELAYER_KEY_FILE": str(relayer_key_file),
        "TPW_SETTLEMENT_CUSTODY_KEY_ID": custody_key_id,
        "TPW_SETTLEMENT_MAX_AGE_SECONDS": str(batch_age_seconds),
        "TPW_SETTLEMENT_CONFIRMATIONS": "0",
        "TPW_SETTLEMENT_POLL_INTERVAL_SECONDS": ANCHORER_POLL_SECONDS,
    }
    argv = [sys.executable, "-m", "relay.settlement"]
    return ManagedProcess("anchorer", argv, log_path=log_dir / "anchorer.log", env=env, cwd=PROJECT_ROOT)
