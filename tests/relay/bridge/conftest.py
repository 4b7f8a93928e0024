"""Fixtures of the bridge relay's tests: both bridges deployed afresh on two real anvils (L1 31337, L2 31338)
per test, tUSD on L1 and its bridged token on L2 allowlisted both ways, and the API database at the
migrations' head (SQLite and PostgreSQL)."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, create_engine

from chain.artifacts import contract, deploy
from chain.bridge.contracts import BridgeL1, BridgeL2
from chain.bridge.deploy import BridgeParams, deploy_bridges
from chain.client import make_web3
from chain.dev_accounts import dev_accounts
from chain.transactions import send_call
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


@pytest.fixture
def bridges(l1_anvil: AnvilNode, l2_anvil: AnvilNode) -> Bridges:  # noqa: F811
    """Fresh bridges (no challenge window on either side: the tests here are about the relay), tUSD minted
    to the depositing users and approved to the L1 bridge."""
    accounts = dev_accounts()
    deployer, guardian = accounts[0], accounts[5]
    w1, w2 = make_web3(l1_anvil.url), make_web3(l2_anvil.url)
    tusd_address, _ = deploy(w1, "Token", "Test USD", "tUSD", 6, sender=deployer.address)
    tusd = contract(w1, "Token", tusd_address)
    params = BridgeParams(
        guardians=(guardian.address, guardian.address),
        custody_key=fixed_key(CUSTODY_SEED)[1].group_public_key.coordinates(),
        challenge_windows=(0, 0),
        queue_delay=QUEUE_DELAY,
    )
    deployed = deploy_bridges(
        w1, w2, deployer, params, bridged_name="TPWallet USD (bridged)", bridged_symbol="tUSD.b", decimals=6
    )
    l1, l2 = deployed.bridge_l1(w1), deployed.bridge_l2(w2)
    bridged_address = deployed.bridged_token.address
    send_call(w1, guardian, l1.contract.functions.set_token(tusd_address, bridged_address, DAILY_LIMIT))
    send_call(w2, guardian, l2.contract.functions.set_token(bridged_address, tusd_address, DAILY_LIMIT))
    send_call(w1, deployer, tusd.functions.set_minter(deployer.address, True))
    for index in USERS:
        user = accounts[index]
        send_call(w1, deployer, tusd.functions.mint(user.address, FUNDS))
        send_call(w1, user, tusd.functions.approve(l1.address, FUNDS))
    return Bridges(l1, l2, tusd, contract(w2, "BridgedToken", bridged_address), l1_anvil, l2_anvil)


@pytest.fixture
def engine(migrated_database_url: str) -> Iterator[Engine]:  # noqa: F811
    """An engine on the API's database, at the migrations' head."""
    engine = create_engine(migrated_database_url)
    yield engine
    engine.dispose()
