"""MultisigTreasury.vy configuration: only the treasury itself (an owners' TreasuryTx) changes it.

Owners, threshold, time lock, custody limits and the custody key each change through a self-call the owners
sign; each change is an event read back here; an outsider calling the same functions directly is refused;
the constructor refuses what the setters refuse.
"""

from typing import Any

import ape
import pytest
from eth_abi import encode
from eth_utils import keccak

from chain.intents import ZERO_ADDRESS
from tests.helpers.frost_signing import fixed_key
from tests.helpers.treasury import (
    DAY,
    ETHER_LIMIT,
    OWNER_COUNT,
    QUEUE_DELAY,
    THRESHOLD,
    TOKEN_LIMIT,
    TreasuryDriver,
    deploy_treasury,
)

pytestmark = pytest.mark.chain

ONLY_SELF = "treasury: only the treasury itself may call this (an owners' TreasuryTx)"
P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
PAYOUT = 100 * 10**6


@pytest.fixture(scope="module")
def next_custody_key() -> Any:
    """The key a custody group would move to after a re-keying (a new DKG)."""
    return fixed_key(424242)


def key_id(key: Any) -> bytes:
    point = key[1].group_public_key
    return keccak(encode(["uint256", "uint256"], [point.x, point.y & 1]))


def test_the_deployment_is_configured_and_logged(
    treasury: TreasuryDriver, treasury_token: Any, custody_key: Any
) -> None:
    contract = treasury.contract
    point = custody_key[1].group_public_key
    assert contract.get_owners() == [owner.address for owner in treasury.owners]
    assert contract.threshold() == THRESHOLD
    assert contract.delay() == QUEUE_DELAY
    assert (contract.custody_pk_x(), contract.custody_pk_parity()) == (point.x, point.y & 1)
    assert contract.custody_key_id() == key_id(custody_key)
    assert contract.custody_epoch() == 1
    assert contract.get_custody_tokens() == [treasury_token.address, ZERO_ADDRESS]
    assert contract.custody_limit(treasury_token) == TOKEN_LIMIT
    assert contract.custody_limit(ZERO_ADDRESS) == ETHER_LIMIT
    assert contract.owners_nonce() == 0
    events = contract.creation_metadata.receipt.events
    assert events == [
        *(contract.OwnerAdded(owner=owner.address) for owner in treasury.owners),
        contract.ThresholdChanged(threshold=THRESHOLD),
        contract.DelayChanged(delay=QUEUE_DELAY),
        contract.CustodyKeyChanged(key_id=key_id(custody_key), pk_x=point.x, pk_parity=point.y & 1, epoch=1),
        contract.CustodyLimitChanged(token=treasury_token.address, limit=TOKEN_LIMIT),
        contract.CustodyLimitChanged(token=ZERO_ADDRESS, limit=ETHER_LIMIT),
    ]


def test_outsiders_can_call_nothing_privileged(
    treasury: TreasuryDriver, treasury_outsider: Any, treasury_owners: list[Any], treasury_token: Any
) -> None:
    contract = treasury.contract
    attempts = [
        (contract.add_owner, (treasury_outsider, 1)),
        (contract.remove_owner, (treasury.owners[0].address, 1)),
        (contract.set_threshold, (1,)),
        (contract.set_delay, (DAY,)),
        (contract.set_custody_key, fixed_key(7)[1].group_public_key.coordinates()),
        (contract.remove_custody_key, ()),
        (contract.set_custody_limit, (treasury_token, 10**30)),
        (contract.cancel_queued, (b"\x01" * 32,)),
    ]
    for function, args in attempts:
        for caller in (treasury_outsider, treasury.relayer):
            with ape.reverts(ONLY_SELF):
                function(*args, sender=caller)


def test_plain_ether_is_received_and_logged(treasury: TreasuryDriver, treasury_outsider: Any) -> None:
    before = treasury.contract.balance
    receipt = treasury_outsider.transfer(treasury.contract, 12345)
    assert treasury.contract.balance == before + 12345
    assert receipt.events == [treasury.contract.Received(sender=treasury_outsider.address, amount=12345)]


def test_an_unknown_function_is_refused(treasury: TreasuryDriver, treasury_outsider: Any) -> None:
    with ape.reverts("treasury: no such function (only plain ether transfers are accepted)"):
        treasury_outsider.transfer(treasury.contract, 0, data=b"\x12\x34\x56\x78")


# owners and threshold


def test_adding_an_owner(
    treasury: TreasuryDriver, treasury_owners: list[Any], treasury_token: Any, recipient: Any
) -> None:
    newcomer = treasury_owners[OWNER_COUNT]
    receipt = treasury.configure("add_owner", newcomer.address, 3)
    contract = treasury.contract
    assert receipt.events.filter(contract.OwnerAdded) == [contract.OwnerAdded(owner=newcomer.address)]
    assert receipt.events.filter(contract.ThresholdChanged) == [contract.ThresholdChanged(threshold=3)]
    assert contract.is_owner(newcomer.address)
    assert contract.get_owners() == [owner.address for owner in treasury_owners[: OWNER_COUNT + 1]]
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    with ape.reverts("treasury: fewer signatures than the threshold"):
        treasury.execute(tx)
    treasury.execute(tx, treasury.owner_signatures(tx, [treasury.owners[0], treasury.owners[2], newcomer]))
    assert treasury_token.balanceOf(recipient) == PAYOUT


def test_removing_an_owner(treasury: TreasuryDriver, treasury_token: Any, recipient: Any) -> None:
    leaver = treasury.owners[1]
    receipt = treasury.configure("remove_owner", leaver.address, 2)
    contract = treasury.contract
    assert receipt.events.filter(contract.OwnerRemoved) == [contract.OwnerRemoved(owner=leaver.address)]
    assert not contract.is_owner(leaver.address)
    assert sorted(contract.get_owners()) == sorted([treasury.owners[0].address, treasury.owners[2].address])
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    with ape.reverts("treasury: a signer is not an owner"):
        treasury.execute(tx, treasury.owner_signatures(tx, [treasury.owners[0], leaver]))
    treasury.execute(tx, treasury.owner_signatures(tx, [treasury.owners[0], treasury.owners[2]]))


def test_changing_the_threshold(treasury: TreasuryDriver, treasury_token: Any, recipient: Any) -> None:
    receipt = treasury.configure("set_threshold", 3)
    assert receipt.events.filter(treasury.contract.ThresholdChanged) == [
        treasury.contract.ThresholdChanged(threshold=3)
    ]
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    with ape.reverts("treasury: fewer signatures than the threshold"):
        treasury.execute(tx)
    treasury.execute(tx, treasury.owner_signatures(tx, treasury.owners))


@pytest.mark.parametrize(
    ("function", "args", "reason"),
    [
        ("add_owner", (ZERO_ADDRESS, 2), "treasury: an owner cannot be the zero address"),
        ("add_owner", ("self", 2), "treasury: the treasury cannot own itself"),
        ("add_owner", ("owner0", 2), "treasury: already an owner"),
        ("add_owner", ("spare", 0), "treasury: the threshold must be at least 1"),
        ("add_owner", ("spare", 5), "treasury: the threshold exceeds the number of owners"),
        ("remove_owner", ("spare", 1), "treasury: not an owner"),
        ("remove_owner", ("owner0", 3), "treasury: the threshold exceeds the number of owners"),
        ("set_threshold", (0,), "treasury: the threshold must be at least 1"),
        ("set_threshold", (4,), "treasury: the threshold exceeds the number of owners"),
        ("set_delay", (3599,), "treasury: the delay is shorter than MIN_DELAY"),
        ("set_delay", (30 * DAY + 1,), "treasury: the delay is longer than MAX_DELAY"),
    ],
)
def test_bad_owner_settings_are_refused(
    treasury: TreasuryDriver, treasury_owners: list[Any], function: str, args: tuple[Any, ...], reason: str
) -> None:
    names = {"self": treasury.address, "owner0": treasury.owners[0].address}
    names["spare"] = treasury_owners[OWNER_COUNT].address
    resolved = [names.get(arg, arg) if isinstance(arg, str) else arg for arg in args]
    assert treasury.configure_failing(function, *resolved) == reason


def test_the_last_owner_cannot_be_removed(project: Any, deployer: Any, treasury_owners: list[Any]) -> None:
    contract = deploy_treasury(project, deployer, treasury_owners[:1], 1, None, [])
    alone = TreasuryDriver(contract, treasury_owners[:1], fixed_key(1), deployer, ape.chain)
    tx = alone.self_call_tx("remove_owner", treasury_owners[0].address, 1)
    assert (
        alone.execute_failing(tx, alone.owner_signatures(tx, treasury_owners[:1]))
        == "treasury: the last owner cannot be removed"
    )


def test_owners_are_capped(project: Any, deployer: Any, treasury_owners: list[Any]) -> None:
    max_owners = 20
    addresses = [treasury_owners[0].address] + [f"0x{index:040x}" for index in range(1, max_owners)]
    contract = project.MultisigTreasury.deploy(addresses, 1, 0, 0, [], QUEUE_DELAY, sender=deployer)
    assert contract.MAX_OWNERS() == max_owners
    full = TreasuryDriver(contract, treasury_owners[:1], fixed_key(1), deployer, ape.chain)
    tx = full.self_call_tx("add_owner", treasury_owners[1].address, 1)
    assert (
        full.execute_failing(tx, full.owner_signatures(tx, treasury_owners[:1]))
        == "treasury: too many owners"
    )


def test_changing_the_delay(treasury: TreasuryDriver) -> None:
    receipt = treasury.configure("set_delay", 2 * DAY)
    assert receipt.events.filter(treasury.contract.DelayChanged) == [
        treasury.contract.DelayChanged(delay=2 * DAY)
    ]
    assert treasury.contract.delay() == 2 * DAY


# custody limits and key


def test_configuring_a_new_custody_token(project: Any, deployer: Any, treasury: TreasuryDriver) -> None:
    other = project.NoReturnToken.deploy(sender=deployer)
    receipt = treasury.configure("set_custody_limit", other.address, 5_000)
    contract = treasury.contract
    assert receipt.events.filter(contract.CustodyLimitChanged) == [
        contract.CustodyLimitChanged(token=other.address, limit=5_000)
    ]
    assert contract.get_custody_tokens()[-1] == other.address
    configured, nonce, day, spent, remaining = contract.custody_state(other)
    assert (configured, nonce, spent, remaining) == (True, 0, 0, 5_000)
    assert day == receipt.timestamp // DAY
    assert contract.custody_available(other) == 5_000


def test_custody_limits_are_bounded_and_need_code(treasury: TreasuryDriver, treasury_outsider: Any) -> None:
    max_limit = treasury.contract.MAX_CUSTODY_LIMIT()
    assert max_limit == 2**88 - 1
    assert (
        treasury.configure_failing("set_custody_limit", ZERO_ADDRESS, max_limit + 1)
        == "treasury: the limit exceeds MAX_CUSTODY_LIMIT"
    )
    assert (
        treasury.configure_failing("set_custody_limit", treasury_outsider.address, 1)
        == "treasury: the token has no code"
    )
    treasury.configure("set_custody_limit", ZERO_ADDRESS, max_limit)
    assert treasury.contract.custody_available(ZERO_ADDRESS) == max_limit


@pytest.mark.slow
def test_custody_tokens_are_capped(project: Any, deployer: Any, treasury_owners: list[Any]) -> None:
    contract = deploy_treasury(project, deployer, treasury_owners[:1], 1, None, [])
    capped = TreasuryDriver(contract, treasury_owners[:1], fixed_key(1), deployer, ape.chain)
    max_tokens = contract.MAX_CUSTODY_TOKENS()
    tokens = [project.NoReturnToken.deploy(sender=deployer) for _ in range(max_tokens + 1)]
    for token in tokens[:max_tokens]:
        tx = capped.self_call_tx("set_custody_limit", token.address, 1)
        capped.execute(tx, capped.owner_signatures(tx, treasury_owners[:1]))
    tx = capped.self_call_tx("set_custody_limit", tokens[-1].address, 1)
    assert (
        capped.execute_failing(tx, capped.owner_signatures(tx, treasury_owners[:1]))
        == "treasury: too many custody tokens"
    )


def test_rotating_the_custody_key(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, custody_key: Any, next_custody_key: Any
) -> None:
    """The old key loses its authority at once; the new one continues the token's nonces and the day."""
    treasury.custody_execute(treasury.custody_transfer(recipient.address, treasury_token.address, PAYOUT))
    point = next_custody_key[1].group_public_key
    receipt = treasury.configure("set_custody_key", point.x, point.y)
    contract = treasury.contract
    assert receipt.events.filter(contract.CustodyKeyChanged) == [
        contract.CustodyKeyChanged(
            key_id=key_id(next_custody_key), pk_x=point.x, pk_parity=point.y & 1, epoch=2
        )
    ]
    assert (contract.custody_pk_x(), contract.custody_pk_parity()) == (point.x, point.y & 1)
    transfer = treasury.custody_transfer(recipient.address, treasury_token.address, PAYOUT)
    assert transfer.nonce == 1
    with ape.reverts("treasury: not the custody key, or a token custody may not move"):
        treasury.custody_execute(transfer, key=custody_key)
    treasury.custody_execute(transfer, key=next_custody_key)
    assert treasury_token.balanceOf(recipient) == 2 * PAYOUT
    assert contract.custody_state(treasury_token)[3] == 2 * PAYOUT  # the day's outflow carried over


def test_bad_custody_keys_are_refused(treasury: TreasuryDriver, custody_key: Any) -> None:
    point = custody_key[1].group_public_key
    assert (
        treasury.configure_failing("set_custody_key", point.x, point.y)
        == "treasury: that is already the custody key"
    )
    assert (
        treasury.configure_failing("set_custody_key", point.x, point.y + 1)
        == "schnorr: group key is not on the curve"
    )
    assert treasury.configure_failing("set_custody_key", 0, 0) == "schnorr: group key x is not in [1, n)"
    assert treasury.configure_failing("set_custody_key", N, 0) == "schnorr: group key x is not in [1, n)"


def test_removing_and_restoring_the_custody_key(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, custody_key: Any
) -> None:
    receipt = treasury.configure("remove_custody_key")
    contract = treasury.contract
    assert receipt.events.filter(contract.CustodyKeyChanged) == [
        contract.CustodyKeyChanged(key_id=b"\x00" * 32, pk_x=0, pk_parity=0, epoch=2)
    ]
    transfer = treasury.custody_transfer(recipient.address, treasury_token.address, PAYOUT)
    with ape.reverts("treasury: not the custody key, or a token custody may not move"):
        treasury.custody_execute(transfer)
    assert treasury.configure_failing("remove_custody_key") == "treasury: there is no custody key to remove"
    treasury.configure("set_custody_key", *custody_key[1].group_public_key.coordinates())
    treasury.custody_execute(treasury.custody_transfer(recipient.address, treasury_token.address, PAYOUT))
    assert contract.custody_epoch() == 3
    assert contract.custody_nonce(treasury_token) == 1


# construction


@pytest.mark.parametrize(
    ("owners", "threshold", "delay", "reason"),
    [
        ([], 1, DAY, "treasury: no owners"),
        (["a", "a"], 1, DAY, "treasury: already an owner"),
        (["a", ZERO_ADDRESS], 1, DAY, "treasury: an owner cannot be the zero address"),
        (["a", "b"], 0, DAY, "treasury: the threshold must be at least 1"),
        (["a", "b"], 3, DAY, "treasury: the threshold exceeds the number of owners"),
        (["a"], 1, 60, "treasury: the delay is shorter than MIN_DELAY"),
        (["a"], 1, 31 * DAY, "treasury: the delay is longer than MAX_DELAY"),
    ],
)
def test_the_constructor_refuses_bad_settings(
    project: Any,
    deployer: Any,
    treasury_owners: list[Any],
    owners: list[str],
    threshold: int,
    delay: int,
    reason: str,
) -> None:
    names = {"a": treasury_owners[0].address, "b": treasury_owners[1].address}
    resolved = [names.get(owner, owner) for owner in owners]
    with ape.reverts(reason):
        project.MultisigTreasury.deploy(resolved, threshold, 0, 0, [], delay, sender=deployer)


def test_the_constructor_refuses_a_bad_custody_setup(
    project: Any, deployer: Any, treasury_owners: list[Any], treasury_outsider: Any
) -> None:
    owner = [treasury_owners[0].address]
    with ape.reverts("schnorr: group key is not on the curve"):
        project.MultisigTreasury.deploy(owner, 1, 1, 1, [], DAY, sender=deployer)
    with ape.reverts("treasury: the token has no code"):
        project.MultisigTreasury.deploy(
            owner, 1, 0, 0, [(treasury_outsider.address, 1)], DAY, sender=deployer
        )
