"""A linked bridge pair on two real anvils (L1 31337, L2 31338), the custody group that attests its batches
(witnessing each on both chains), and the environment of a `python -m relay.bridge` process over it: shared
by the bridge relay's tests and `benchmarks/bridge_relay.py`, so both run the same deployment.

`deploy_test_bridges` deploys tUSD on L1 and the pair as the devnet stack does (`chain.bridge.deploy`), with
no challenge window on either side (the callers are about the relay), under the fixed custody key
`CUSTODY_SEED`; the guardians allowlist tUSD and its bridged token both ways, and the depositing users are
funded with tUSD approved to the L1 bridge. Each bridge's guardian is dev account 5 (`account_guardians`),
or, as in production, a `MultisigTreasury` whose owners sign each guardian call (`treasury_guardian`).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from chain.artifacts import contract, deploy
from chain.bridge.contracts import BridgeL1, BridgeL2
from chain.bridge.deploy import BridgeParams, deploy_bridges
from chain.client import make_web3
from chain.dev_accounts import dev_accounts
from chain.transactions import send_call
from chain.treasury import Treasury, call_tx, sign_digest
from scripts._support.anvil import AnvilNode, rpc_call
from tests.helpers.custody_nodes import CustodyGroup
from tests.helpers.frost_signing import fixed_key

CUSTODY_SEED = 7
QUEUE_DELAY = 6 * 3600
DAILY_LIMIT = 1_000_000 * 10**6
USERS = (7, 8)  # dev accounts that deposit
FUNDS = 1_000 * 10**6
KEY_ID = "treasury"
"""The custody key id the group holds `fixed_key(CUSTODY_SEED)` under."""
WITNESS_CONFIRMATIONS = 2
"""The nodes' depth for bridge messages: the relay tests' own (`CONFIRMATIONS`) and the benchmark's, so
every batch the relay cuts is deep enough."""

TREASURY_THRESHOLD = 2
TREASURY_DELAY = 3600


@dataclass(frozen=True)
class Guardian:
    """Who vetoes, pauses and configures a bridge: `address` as the bridge knows it; `run` calls as it."""

    address: str
    run: Callable[[ContractFunction], TxReceipt]


def account_guardian(w3: Web3, account: LocalAccount) -> Guardian:
    """A guardian that is an account calling the bridge itself."""
    return Guardian(account.address, lambda call: send_call(w3, account, call))


def account_guardians(w1: Web3, w2: Web3) -> tuple[Guardian, Guardian]:
    """Dev account 5 guards both bridges."""
    guardian = dev_accounts()[5]
    return account_guardian(w1, guardian), account_guardian(w2, guardian)


def treasury_guardian(w3: Web3) -> Guardian:
    """A `MultisigTreasury` (dev accounts 1-3 its owners, two of three sign) as the guardian: each call is a
    `TreasuryTx` two owners sign and dev account 0 relays, as the treasury owners veto in production."""
    accounts = dev_accounts()
    owners, relayer = accounts[1:4], accounts[0]
    address, _ = deploy(
        w3,
        "MultisigTreasury",
        [owner.address for owner in owners],
        TREASURY_THRESHOLD,
        0,
        0,
        [],
        TREASURY_DELAY,
        sender=relayer.address,
    )
    treasury = Treasury(w3, address)

    def run(call: ContractFunction) -> TxReceipt:
        deadline = int(w3.eth.get_block("latest")["timestamp"]) + TREASURY_DELAY
        data = bytes.fromhex(call._encode_transaction_data().removeprefix("0x"))
        tx = call_tx(call.address, data, treasury.owners_nonce(), deadline)
        digest = treasury.tx_digest(tx)
        signatures = [sign_digest(owner.key, digest) for owner in owners[:TREASURY_THRESHOLD]]
        return treasury.submit_with_owners(relayer, tx, treasury.collect(tx, signatures))

    return Guardian(treasury.address, run)


@dataclass
class Bridges:
    """A linked pair on two anvils, with the tokens and the accounts the tests use."""

    l1: BridgeL1
    l2: BridgeL2
    tusd: Any  # the L1 token (web3 contract)
    bridged: Any  # the L2 token
    l1_node: AnvilNode
    l2_node: AnvilNode
    l1_guardian: Guardian
    l2_guardian: Guardian

    def deposit(self, user: LocalAccount, amount: int, recipient: str | None = None) -> str:
        """`user` deposits `amount` tUSD for `recipient` (default: themselves); the tx hash."""
        receipt = self.l1.deposit(user, self.tusd.address, amount, recipient or user.address)
        return "0x" + bytes(receipt["transactionHash"]).hex()

    def bridged_balance(self, holder: str) -> int:
        return int(self.bridged.functions.balanceOf(holder).call())


def mine(node: AnvilNode, blocks: int) -> None:
    rpc_call(node.url, "anvil_mine", [hex(blocks)])


def deploy_test_bridges(
    l1_node: AnvilNode,
    l2_node: AnvilNode,
    guardians: Callable[[Web3, Web3], tuple[Guardian, Guardian]],
) -> Bridges:
    """Fresh bridges on `l1_node` and `l2_node` guarded by `guardians(l1 web3, l2 web3)`, deployed as the
    stack deploys them (`chain.bridge.deploy`), tUSD minted to the depositing users and approved to the L1
    bridge."""
    deployer = dev_accounts()[0]
    w1, w2 = make_web3(l1_node.url), make_web3(l2_node.url)
    l1_guardian, l2_guardian = guardians(w1, w2)
    tusd_address, _ = deploy(w1, "Token", "Test USD", "tUSD", 6, sender=deployer.address)
    tusd = contract(w1, "Token", tusd_address)
    params = BridgeParams(
        guardians=(l1_guardian.address, l2_guardian.address),
        custody_key=fixed_key(CUSTODY_SEED)[1].group_public_key.coordinates(),
        challenge_windows=(0, 0),
        queue_delay=QUEUE_DELAY,
    )
    deployed = deploy_bridges(
        w1, w2, deployer, params, bridged_name="TPWallet USD (bridged)", bridged_symbol="tUSD.b", decimals=6
    )
    l1, l2 = deployed.bridge_l1(w1), deployed.bridge_l2(w2)
    bridged_address = deployed.bridged_token.address
    l1_guardian.run(l1.contract.functions.set_token(tusd_address, bridged_address, DAILY_LIMIT))
    l2_guardian.run(l2.contract.functions.set_token(bridged_address, tusd_address, DAILY_LIMIT))
    send_call(w1, deployer, tusd.functions.set_minter(deployer.address, True))
    for index in USERS:
        user = dev_accounts()[index]
        send_call(w1, deployer, tusd.functions.mint(user.address, FUNDS))
        send_call(w1, user, tusd.functions.approve(l1.address, FUNDS))
    bridged = contract(w2, "BridgedToken", bridged_address)
    return Bridges(l1, l2, tusd, bridged, l1_node, l2_node, l1_guardian, l2_guardian)


def _chain_rules(chain_id: int, bridge: str, src_chain_id: int, max_signatures: int) -> str:
    return (
        f"    {chain_id}:\n"
        "      contracts:\n"
        f'        "{bridge}": [BridgeBatch]\n'
        "      bridge_batch:\n"
        f"        routes: [{{src_chain_id: {src_chain_id}, dst_chain_id: {chain_id}}}]\n"
        f"        velocity: {{max_signatures: {max_signatures}, window_seconds: 3600}}\n"
        f"        confirmations: {WITNESS_CONFIRMATIONS}\n"
        "        require_chain_witness: true\n"
    )


def bridge_policy(l1_bridge: str, l2_bridge: str, max_signatures: int = 100) -> str:
    """BridgeBatch signatures on each bridge for the route into it, `max_signatures` an hour per chain, each
    batch witnessed on both chains."""
    return (
        "version: 1\ndefault:\n  chains:\n"
        + _chain_rules(31337, l1_bridge, 31338, max_signatures)
        + _chain_rules(31338, l2_bridge, 31337, max_signatures)
    )


def bridge_group(root: Path, bridges: Bridges, max_signatures: int = 100) -> CustodyGroup:
    """A 2-of-3 custody group (not started) holding the bridges' custody key as `KEY_ID` under
    `bridge_policy`, each node reading both anvils, from the bridges' deployment blocks, to witness the
    batches it signs."""
    rpc_urls = {31337: bridges.l1_node.url, 31338: bridges.l2_node.url}
    return CustodyGroup(
        root,
        {KEY_ID: fixed_key(CUSTODY_SEED)},
        size=3,
        policy_yaml=bridge_policy(bridges.l1.address, bridges.l2.address, max_signatures),
        extra_env={
            "TPW_NODE_WITNESS_RPC_URLS": json.dumps(rpc_urls),
            "TPW_NODE_WITNESS_FROM_BLOCKS": json.dumps(
                {31337: bridges.l1.from_block, 31338: bridges.l2.from_block}
            ),
        },
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
