"""Fixtures of the bridge relay's tests: both bridges deployed afresh on two real anvils (L1 31337, L2 31338)
per test, tUSD on L1 and its bridged token on L2 allowlisted both ways, and the API database at the
migrations' head (SQLite and PostgreSQL). Each bridge's guardian is dev account 5, or, as in production, a
`MultisigTreasury` whose owners sign each guardian call (`deploy_test_bridges` with `treasury_guardian`)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, create_engine
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
from tests.devnet.conftest import l1_anvil, l2_anvil  # noqa: F401  (fixtures)
from tests.helpers.db import (  # noqa: F401  (fixtures)
    database_url,
    head_templates,
    migrated_database_url,
    pg_url,
    sqlite_url,
)
from tests.helpers.frost_signing import fixed_key

CUSTODY_SEED = 7
QUEUE_DELAY = 6 * 3600
DAILY_LIMIT = 1_000_000 * 10**6
USERS = (7, 8)  # dev accounts that deposit
FUNDS = 1_000 * 10**6


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
    l1_node: AnvilNode, l2_node: AnvilNode, guardians: Callable[[Web3, Web3], tuple[Guardian, Guardian]]
) -> Bridges:
    """Fresh bridges (no challenge window on either side: the tests here are about the relay) guarded by
    `guardians(l1 web3, l2 web3)`, deployed as the stack deploys them (`chain.bridge.deploy`), tUSD minted
    to the depositing users and approved to the L1 bridge."""
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


def account_guardians(w1: Web3, w2: Web3) -> tuple[Guardian, Guardian]:
    """Dev account 5 guards both bridges."""
    guardian = dev_accounts()[5]
    return account_guardian(w1, guardian), account_guardian(w2, guardian)


@pytest.fixture
def bridges(l1_anvil: AnvilNode, l2_anvil: AnvilNode) -> Bridges:  # noqa: F811
    """Fresh bridges, dev account 5 their guardian."""
    return deploy_test_bridges(l1_anvil, l2_anvil, account_guardians)


@pytest.fixture
def engine(migrated_database_url: str) -> Iterator[Engine]:  # noqa: F811
    """An engine on the API's database, at the migrations' head."""
    engine = create_engine(migrated_database_url)
    yield engine
    engine.dispose()
