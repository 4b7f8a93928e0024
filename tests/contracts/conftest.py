"""Fixtures shared by the contract tests: role-named accounts and the deployed test harnesses."""

from typing import Any

import pytest
from eth_account import Account
from eth_utils import keccak

from tests.helpers import bridge as bridge_support
from tests.helpers import treasury as support
from tests.helpers.anchor import ANCHOR_WINDOW, Anchorer
from tests.helpers.frost_signing import fixed_key


def deploy_tusd(project: Any, deployer: Any) -> Any:
    """A fresh tUSD (`Token`, 6 decimals) the deployer may mint: each contract's tests get their own."""
    token = project.Token.deploy("TPWallet USD", "tUSD", 6, sender=deployer)
    token.set_minter(deployer, True, sender=deployer)
    return token


@pytest.fixture(scope="session")
def deployer(accounts: Any) -> Any:
    """The account that deploys contracts; it holds no role in them unless a test grants one."""
    return accounts[0]


@pytest.fixture(scope="session")
def schnorr_harness(project: Any, deployer: Any) -> Any:
    """`contracts/testing/SchnorrHarness.vy`: the schnorr module's functions as external calls."""
    return project.SchnorrHarness.deploy(sender=deployer)


# SettlementAnchor: the custody key that signs anchors, the accounts around it, and a fresh contract per test.


@pytest.fixture(scope="session")
def custody_key() -> Any:
    """The custody group's deterministic 2-of-3 FROST key (`tests.helpers.frost_signing.Key`)."""
    return fixed_key(9591)


@pytest.fixture(scope="session")
def anchor_owner(accounts: Any) -> Any:
    """The SettlementAnchor's owner (the MultisigTreasury in production)."""
    return accounts[5]


@pytest.fixture(scope="session")
def anchor_relayer(accounts: Any) -> Any:
    """An account that submits signed anchors: it pays gas and holds no authority."""
    return accounts[6]


@pytest.fixture(scope="session")
def anchor_attacker(accounts: Any) -> Any:
    """An outsider trying what only the owner or the custody key may do."""
    return accounts[7]


@pytest.fixture
def anchorer(project: Any, deployer: Any, anchor_owner: Any, anchor_relayer: Any, custody_key: Any) -> Any:
    """A fresh SettlementAnchor (one-hour window), with the custody group and the relayer that feed it."""
    x, y = custody_key[1].group_public_key.coordinates()
    contract = project.SettlementAnchor.deploy(anchor_owner, x, y, ANCHOR_WINDOW, sender=deployer)
    return Anchorer(contract, custody_key, anchor_relayer)


# VestingEscrow: TPW (18 decimals) minted to the escrow's admin, and an escrow that may spend it (one per
# module; Ape's isolation undoes what each test does to them).

VESTING_ADMIN_TPW = 10**27  # a billion TPW


@pytest.fixture(scope="session")
def vesting_admin(accounts: Any) -> Any:
    """The VestingEscrow's admin: a TPW minter that pays for the grants it creates."""
    return accounts[1]


@pytest.fixture(scope="module")
def tpw(project: Any, deployer: Any, vesting_admin: Any) -> Any:
    """TPW as deployed (18 decimals), with a billion minted to the vesting admin, who may mint more."""
    token = project.Token.deploy("TPWallet", "TPW", 18, sender=deployer)
    token.set_minter(vesting_admin, True, sender=deployer)
    token.mint(vesting_admin, VESTING_ADMIN_TPW, sender=vesting_admin)
    return token


@pytest.fixture(scope="module")
def vesting_escrow(project: Any, tpw: Any, vesting_admin: Any) -> Any:
    """A VestingEscrow for `tpw` with `vesting_admin` as admin, approved to take all the admin's TPW."""
    escrow = project.VestingEscrow.deploy(tpw, sender=vesting_admin)
    tpw.approve(escrow, 2**256 - 1, sender=vesting_admin)
    return escrow


# SubscriptionManager: tUSD with a minter, the fee treasury, and a manager (no fee yet) owned by the deployer.


@pytest.fixture(scope="session")
def fee_treasury(accounts: Any) -> Any:
    """Where the SubscriptionManager's protocol fees go."""
    return accounts[9]


@pytest.fixture(scope="module")
def subscription_token(project: Any, deployer: Any) -> Any:
    """tUSD (6 decimals, permit-capable); the deployer may mint."""
    return deploy_tusd(project, deployer)


@pytest.fixture(scope="module")
def subscription_manager(project: Any, deployer: Any, fee_treasury: Any) -> Any:
    """A SubscriptionManager with no protocol fee and `fee_treasury` as treasury; the deployer owns it."""
    return project.SubscriptionManager.deploy(fee_treasury, 0, sender=deployer)


# MultisigTreasury: owners' keys held in Python, a relayer and an outsider, tUSD, and a funded treasury.


@pytest.fixture(scope="session")
def treasury_owners() -> list[Any]:
    """Five owners' keys (eth-account), sorted by address; the treasuries use the first three unless a test
    says otherwise. They only sign: relayers send the transactions."""
    keys = [Account.from_key(keccak(text=f"tpwallet treasury owner {index}")) for index in range(5)]
    return sorted(keys, key=lambda key: int(key.address, 16))


@pytest.fixture(scope="session")
def treasury_relayer(accounts: Any) -> Any:
    """Submits signed treasury transactions: pays gas, holds no authority."""
    return accounts[2]


@pytest.fixture
def treasury_outsider(accounts: Any) -> Any:
    """Someone with no role in the treasury trying what only its owners or its custody key may do."""
    return accounts[8]


@pytest.fixture(scope="module")
def treasury_token(project: Any, deployer: Any) -> Any:
    """tUSD (6 decimals); the deployer may mint."""
    return deploy_tusd(project, deployer)


@pytest.fixture(scope="session")
def recipient(accounts: Any) -> Any:
    """Receives what the treasury sends: holds no role in it."""
    return accounts[4]


@pytest.fixture(scope="module")
def treasury(
    project: Any,
    chain: Any,
    deployer: Any,
    treasury_owners: list[Any],
    custody_key: Any,
    treasury_relayer: Any,
    treasury_token: Any,
) -> Any:
    """A 2-of-3 MultisigTreasury with the custody key, daily limits of 1,000 tUSD and 1 ether, a one-day
    time lock, holding 1,000,000 tUSD and 100 ether; a `tests.helpers.treasury.TreasuryDriver`."""
    contract = support.deploy_treasury(
        project,
        deployer,
        treasury_owners[: support.OWNER_COUNT],
        support.THRESHOLD,
        custody_key,
        [(treasury_token.address, support.TOKEN_LIMIT), (support.ZERO_ADDRESS, support.ETHER_LIMIT)],
    )
    treasury_token.mint(contract, support.TOKEN_FUNDS, sender=deployer)
    deployer.transfer(contract, support.ETHER_FUNDS)
    return support.TreasuryDriver(
        contract, treasury_owners[: support.OWNER_COUNT], custody_key, treasury_relayer, chain
    )


@pytest.fixture
def at_noon(treasury: Any) -> int:
    """Moves the chain to noon of the next day, so a test's transfers share one day; returns that time."""
    noon = support.noon_of_next_day(treasury.chain)
    support.travel_to(treasury.chain, noon)
    return noon


# Bridge: BridgeL1 escrowing tUSD and BridgeL2 minting its bridged token, linked on one chain, a guardian
# account (the treasury in production; one test goes through a real MultisigTreasury), and a funded user.


@pytest.fixture(scope="session")
def bridge_guardian(accounts: Any) -> Any:
    """Vetoes, pauses and configures both bridges."""
    return accounts[3]


@pytest.fixture(scope="session")
def bridge_user(accounts: Any) -> Any:
    """Holds tUSD on L1 and moves it across."""
    return accounts[1]


@pytest.fixture
def bridge_pair(
    project: Any, deployer: Any, bridge_guardian: Any, anchor_relayer: Any, custody_key: Any, bridge_user: Any
) -> Any:
    """Fresh bridges per test (`tests.helpers.bridge.BridgePair`), the user holding USER_FUNDS tUSD."""
    token = deploy_tusd(project, deployer)
    token.mint(bridge_user, bridge_support.USER_FUNDS, sender=deployer)
    return bridge_support.deploy_pair(project, deployer, bridge_guardian, anchor_relayer, custody_key, token)
