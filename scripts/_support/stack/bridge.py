"""The stack's bridge: BridgeL1 on L1 escrowing tUSD, BridgeL2 and its bridged tUSD ("tUSD.b") on L2, and the
bridge relay (`python -m relay.bridge`) carrying messages between them, its own process like the keeper.

Each bridge's guardian is its chain's `MultisigTreasury`, so vetoing a batch, pausing and allowlisting are
the treasury owners' (2 of 3) through their multisig (`stack_owners`); the deployer only links the two
bridges, once. Both check batches against the custody group key of the stack's DKG, and the signer nodes'
policy allows BridgeBatch signatures for each bridge's inbound route (`bridge_policy`).

Devnet timing: withdrawals wait out a challenge window of `DevnetSettings.l1_challenge_window_seconds`
on L1 (long enough for the owners to veto a batch the demo watches being attested, short enough that a
release follows within seconds); deposits are claimable on L2 once attested (no window). The relay reads
each chain at 2 confirmations; the stack's anvils mine a block every second besides each transaction
(`stack.py`), so a message is buried 2 deep within about 2 seconds even when nothing else happens.

The relay's secrets (its own API key, scope `custody:sign` only, and a relayer key made for this run and
funded on both chains) are 0600 files of the run named by their paths, never values in its environment.
"""

import json
import os
import sys
from pathlib import Path
from typing import Final

from eth_account import Account
from eth_account.signers.local import LocalAccount

from chain.bridge.deploy import BridgeParams, Deployed, DeployedBridges, deploy_bridges
from chain.client import make_web3
from chain.deploy import TUSD_UNIT
from chain.deployments import Deployments
from chain.dev_accounts import dev_accounts
from chain.files import PRIVATE, write_atomic
from chain.paths import PROJECT_ROOT
from custody.policy.builder import with_bridge_batches
from scripts._support.anvil import rpc_call
from scripts._support.processes import ManagedProcess
from scripts._support.stack.deployments import Chain
from scripts._support.stack.owners import owners_call

BRIDGE_RELAY_STARTED: Final = "bridge relay"  # what `relay.bridge` logs once it is running
BRIDGE_RELAY_SCOPES: Final = "custody:sign"  # its API key asks the custody group for batch signatures
BRIDGED_TUSD: Final = "tUSD.b"  # the bridged token's registry name and symbol on L2
BRIDGE_CONFIRMATIONS: Final = 2
BRIDGE_POLL_SECONDS: Final = "0.5"
BRIDGE_BATCH_AGE_SECONDS: Final = "1"  # a batch is cut once its oldest message waited this long
BRIDGE_QUEUE_DELAY: Final = 60  # seconds a claim over the daily limit waits before release
BRIDGE_DAILY_LIMIT: Final = 100_000 * TUSD_UNIT  # tUSD each way in 24 hours before claims queue
BRIDGE_VELOCITY: Final = (600, 3600)  # BridgeBatch signatures per chain the nodes allow an hour
RELAYER_FUNDS: Final = 10 * 10**18  # wei of gas money the relay's account gets on each chain


def deploy_bridge(
    l1: Chain, l2: Chain, custody_key: tuple[int, int], challenge_window: int
) -> DeployedBridges:
    """Deploys and links the bridges (the deployer: dev account 0), allowlists tUSD <-> tUSD.b on both
    through the treasuries' owners, and records BridgeL1 in L1's registry, BridgeL2 and tUSD.b in L2's."""
    assert l1.deployments is not None
    assert l2.deployments is not None
    w1, w2 = make_web3(l1.url), make_web3(l2.url)
    deployer = dev_accounts()[0]
    treasuries = (
        l1.deployments.get("MultisigTreasury").address,
        l2.deployments.get("MultisigTreasury").address,
    )
    params = BridgeParams(
        guardians=treasuries,
        custody_key=custody_key,
        challenge_windows=(challenge_window, 0),
        queue_delay=BRIDGE_QUEUE_DELAY,
    )
    bridges = deploy_bridges(
        w1,
        w2,
        deployer,
        params,
        bridged_name="TPWallet USD (bridged)",
        bridged_symbol=BRIDGED_TUSD,
        decimals=6,
    )
    tusd = l1.deployments.get("tUSD").address
    l1_bridge, l2_bridge = bridges.bridge_l1(w1), bridges.bridge_l2(w2)
    set_l1 = l1_bridge.contract.functions.set_token(tusd, bridges.bridged_token.address, BRIDGE_DAILY_LIMIT)
    set_l2 = l2_bridge.contract.functions.set_token(bridges.bridged_token.address, tusd, BRIDGE_DAILY_LIMIT)
    owners_call(w1, treasuries[0], set_l1, deployer)
    owners_call(w2, treasuries[1], set_l2, deployer)
    _record(l1.deployments, {"BridgeL1": bridges.l1})
    _record(l2.deployments, {"BridgeL2": bridges.l2, BRIDGED_TUSD: bridges.bridged_token})
    return bridges


def _record(registry: Deployments, deployed: dict[str, Deployed]) -> None:
    for name, item in deployed.items():
        registry.record(
            name,
            address=item.address,
            tx_hash=bytes(item.receipt["transactionHash"]),
            block_number=item.block_number,
            contract_type="BridgedToken" if name == BRIDGED_TUSD else name,
        )
    registry.save()


def bridge_policy(policy: str, chain_ids: tuple[int, int], bridges: DeployedBridges) -> str:
    """`policy` (the nodes' policy text) with BridgeBatch signatures allowed on each bridge for the route
    into it: L2 -> L1 on BridgeL1 (withdrawals), L1 -> L2 on BridgeL2 (deposits); each node reads both
    chains itself (`witness_settings`) and signs only messages it found there at the relay's depth."""
    l1_chain_id, l2_chain_id = chain_ids
    for chain_id, bridge, src_chain_id in (
        (l1_chain_id, bridges.l1.address, l2_chain_id),
        (l2_chain_id, bridges.l2.address, l1_chain_id),
    ):
        policy = with_bridge_batches(
            policy,
            chain_id=chain_id,
            bridge=bridge,
            src_chain_id=src_chain_id,
            velocity=BRIDGE_VELOCITY,
            confirmations=BRIDGE_CONFIRMATIONS,
            require_chain_witness=True,
        )
    return policy


def witness_settings(chains: list[Chain], bridges: DeployedBridges | None) -> dict[str, str]:
    """A signer node's witness settings: `TPW_NODE_WITNESS_RPC_URLS`, its RPC URL for each chain it checks
    batches on, and `TPW_NODE_WITNESS_FROM_BLOCKS`, the block each chain's bridge was deployed in (where
    the witness starts reading its logs: the relay's `TPW_BRIDGE_*_FROM_BLOCK`); none before the bridges
    are deployed (whatever the shell exports)."""
    from_blocks = {}
    if bridges is not None:
        l1, l2 = chains
        from_blocks = {
            str(l1.node.config.chain_id): bridges.l1.block_number,
            str(l2.node.config.chain_id): bridges.l2.block_number,
        }
    return {
        "TPW_NODE_WITNESS_RPC_URLS": json.dumps(
            {str(chain.node.config.chain_id): chain.url for chain in chains}
        ),
        "TPW_NODE_WITNESS_FROM_BLOCKS": json.dumps(from_blocks),
    }


def funded_relayer(chains: list[Chain]) -> LocalAccount:
    """A fresh account for the relay's gas, given ether on every chain (anvil's `anvil_setBalance`): the
    relay shares no account, and so no nonce sequence, with any other sender of the stack or the demo (the
    ten dev accounts all have a part already)."""
    relayer: LocalAccount = Account.create()
    for chain in chains:
        rpc_call(chain.url, "anvil_setBalance", [relayer.address, hex(RELAYER_FUNDS)])
    return relayer


def bridge_relay_process(
    run_dir: Path,
    log_dir: Path,
    *,
    chains: tuple[Chain, Chain],
    bridges: DeployedBridges,
    database_url: str,
    api_url: str,
    api_key: str,
    custody_key_id: str,
    relayer: LocalAccount,
) -> ManagedProcess:
    """`python -m relay.bridge` between L1 and L2 on the API's database, signing through the API's
    coordinator; not started (the caller starts it and waits for `BRIDGE_RELAY_STARTED` in its log)."""
    secrets_dir = run_dir / "bridge"
    api_key_file, relayer_key_file = secrets_dir / "api.key", secrets_dir / "relayer.key"
    write_atomic(api_key_file, api_key.encode(), mode=PRIVATE)
    write_atomic(relayer_key_file, ("0x" + bytes(relayer.key).hex()).encode(), mode=PRIVATE)
    l1, l2 = chains
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("TPW_BRIDGE_")}
    env = inherited | {
        "TPW_BRIDGE_L1_RPC_URL": l1.url,
        "TPW_BRIDGE_L2_RPC_URL": l2.url,
        "TPW_BRIDGE_L1_BRIDGE": bridges.l1.address,
        "TPW_BRIDGE_L2_BRIDGE": bridges.l2.address,
        "TPW_BRIDGE_L1_FROM_BLOCK": str(bridges.l1.block_number),
        "TPW_BRIDGE_L2_FROM_BLOCK": str(bridges.l2.block_number),
        "TPW_BRIDGE_DATABASE_URL": database_url,
        "TPW_BRIDGE_API_URL": api_url,
        "TPW_BRIDGE_API_KEY_FILE": str(api_key_file),
        "TPW_BRIDGE_RELAYER_KEY_FILE": str(relayer_key_file),
        "TPW_BRIDGE_CUSTODY_KEY_ID": custody_key_id,
        "TPW_BRIDGE_CONFIRMATIONS": str(BRIDGE_CONFIRMATIONS),
        "TPW_BRIDGE_MAX_AGE_SECONDS": BRIDGE_BATCH_AGE_SECONDS,
        "TPW_BRIDGE_POLL_INTERVAL_SECONDS": BRIDGE_POLL_SECONDS,
    }
    argv = [sys.executable, "-m", "relay.bridge"]
    return ManagedProcess(
        "bridge-relay", argv, log_path=log_dir / "bridge-relay.log", env=env, cwd=PROJECT_ROOT
    )
