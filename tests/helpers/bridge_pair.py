"""A linked bridge pair on two real anvils (L1 31337, L2 31338), the custody policy that lets the group attest
its batches, and the environment of a `python -m relay.bridge` process over it: shared by the bridge relay's
tests and `benchmarks/bridge_relay.py`, so both run the same deployment.

`deploy_bridges` deploys tUSD on L1, both bridges (no challenge window on either side: the callers are about
the relay) under the fixed custody key `CUSTODY_SEED`, links them, allowlists tUSD and its bridged token both
ways, and funds the depositing users with tUSD approved to the L1 bridge.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from chain.artifacts import contract, deploy
from chain.bridge.contracts import BridgeL1, BridgeL2
from chain.client import make_web3
from chain.dev_accounts import dev_accounts
from chain.transactions import send_call
from scripts._support.anvil import AnvilNode, rpc_call
from tests.helpers.frost_signing import fixed_key

CUSTODY_SEED = 7
QUEUE_DELAY = 6 * 3600
DAILY_LIMIT = 1_000_000 * 10**6
USERS = (7, 8)  # dev accounts that deposit
FUNDS = 1_000 * 10**6
KEY_ID = "treasury"
"""The custody key id the group holds `fixed_key(CUSTODY_SEED)` under."""


@dataclass
class Bridges:
    """A linked pair on two anvils, with the tokens and the accounts the tests use."""

    l1: BridgeL1
    l2: BridgeL2
    tusd: Any  # the L1 token (web3 contract)
    bridged: Any  # the L2 token
    l1_node: AnvilNode
    l2_node: AnvilNode

    def deposit(self, user: LocalAccount, amount: int, recipient: str | None = None) -> str:
        """`user` deposits `amount` tUSD for `recipient` (default: themselves); the tx hash."""
        receipt = self.l1.deposit(user, self.tusd.address, amount, recipient or user.address)
        return "0x" + bytes(receipt["transactionHash"]).hex()

    def bridged_balance(self, holder: str) -> int:
        return int(self.bridged.functions.balanceOf(holder).call())


def mine(node: AnvilNode, blocks: int) -> None:
    rpc_call(node.url, "anvil_mine", [hex(blocks)])


def _deploy_bridge(w3: Web3, kind: str, remote_chain_id: int, guardian: str) -> str:
    x, y = fixed_key(CUSTODY_SEED)[1].group_public_key.coordinates()
    address, _ = deploy(
        w3, kind, guardian, remote_chain_id, x, y, 0, QUEUE_DELAY, sender=dev_accounts()[0].address
    )
    return address


def deploy_bridges(l1_node: AnvilNode, l2_node: AnvilNode) -> Bridges:
    """Fresh linked bridges on `l1_node` and `l2_node`, tUSD minted to the depositing users and approved to
    the L1 bridge."""
    accounts = dev_accounts()
    deployer, guardian = accounts[0], accounts[5]
    w1, w2 = make_web3(l1_node.url), make_web3(l2_node.url)
    tusd_address, _ = deploy(w1, "Token", "Test USD", "tUSD", 6, sender=deployer.address)
    tusd = contract(w1, "Token", tusd_address)
    l1_address = _deploy_bridge(w1, "BridgeL1", 31338, guardian.address)
    l2_address = _deploy_bridge(w2, "BridgeL2", 31337, guardian.address)
    l1 = BridgeL1(w1, l1_address, from_block=int(w1.eth.block_number))
    l2 = BridgeL2(w2, l2_address, from_block=int(w2.eth.block_number))
    send_call(w1, deployer, l1.contract.functions.initialize(l2_address))
    send_call(w2, deployer, l2.contract.functions.initialize(l1_address))
    bridged_address, _ = deploy(
        w2, "BridgedToken", "TPWallet USD (bridged)", "tUSD.b", 6, l2_address, sender=deployer.address
    )
    send_call(w1, guardian, l1.contract.functions.set_token(tusd_address, bridged_address, DAILY_LIMIT))
    send_call(w2, guardian, l2.contract.functions.set_token(bridged_address, tusd_address, DAILY_LIMIT))
    send_call(w1, deployer, tusd.functions.set_minter(deployer.address, True))
    for index in USERS:
        user = accounts[index]
        send_call(w1, deployer, tusd.functions.mint(user.address, FUNDS))
        send_call(w1, user, tusd.functions.approve(l1_address, FUNDS))
    return Bridges(l1, l2, tusd, contract(w2, "BridgedToken", bridged_address), l1_node, l2_node)


def _chain_rules(chain_id: int, bridge: str, src_chain_id: int, max_signatures: int) -> str:
    return (
        f"    {chain_id}:\n"
        "      contracts:\n"
        f'        "{bridge}": [BridgeBatch]\n'
        "      bridge_batch:\n"
        f"        routes: [{{src_chain_id: {src_chain_id}, dst_chain_id: {chain_id}}}]\n"
        f"        velocity: {{max_signatures: {max_signatures}, window_seconds: 3600}}\n"
    )


def bridge_policy(l1_bridge: str, l2_bridge: str, max_signatures: int = 100) -> str:
    """BridgeBatch signatures on each bridge for the route into it, `max_signatures` an hour per chain."""
    return (
        "version: 1\ndefault:\n  chains:\n"
        + _chain_rules(31337, l1_bridge, 31338, max_signatures)
        + _chain_rules(31338, l2_bridge, 31337, max_signatures)
    )


def relay_environment(
    bridges: Bridges,
    database_url: str,
    api_url: str,
    secrets_dir: Path,
    api_token: str,
    **settings: str,
) -> dict[str, str]:
    """`python -m relay.bridge`'s settings for `bridges`: the API key and the relayer's key (dev account 6)
    written as files in `secrets_dir`, and `settings` as `TPW_BRIDGE_<NAME>` on top."""
    (secrets_dir / "api.key").write_text(api_token)
    (secrets_dir / "relayer.key").write_text(dev_accounts()[6].key.hex())
    return {
        "TPW_BRIDGE_L1_RPC_URL": bridges.l1_node.url,
        "TPW_BRIDGE_L2_RPC_URL": bridges.l2_node.url,
        "TPW_BRIDGE_L1_BRIDGE": bridges.l1.address,
        "TPW_BRIDGE_L2_BRIDGE": bridges.l2.address,
        "TPW_BRIDGE_L1_FROM_BLOCK": str(bridges.l1.from_block),
        "TPW_BRIDGE_L2_FROM_BLOCK": str(bridges.l2.from_block),
        "TPW_BRIDGE_DATABASE_URL": database_url,
        "TPW_BRIDGE_API_URL": api_url,
        "TPW_BRIDGE_API_KEY_FILE": str(secrets_dir / "api.key"),
        "TPW_BRIDGE_RELAYER_KEY_FILE": str(secrets_dir / "relayer.key"),
        "TPW_BRIDGE_CUSTODY_KEY_ID": KEY_ID,
        **{f"TPW_BRIDGE_{name.upper()}": value for name, value in settings.items()},
    }
