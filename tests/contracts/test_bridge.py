"""BridgeL1.vy / BridgeL2.vy: deployment and linking, deposit -> claim, withdraw -> challenge window ->
release, the guardian's veto (directly and through a MultisigTreasury), pause, and the bridged token's minter.

Rate limits are in `test_bridge_limits.py`, the refused famous failures in `test_bridge_attacks.py`, Python
and contract agreement in `test_bridge_mirror.py`.
"""

from typing import Any

import ape
import pytest

from chain.bridge.batch import ZERO_ROOT, Batch
from chain.bridge.message import Message
from chain.eip712 import domain_separator
from tests.helpers import treasury as treasury_support
from tests.helpers.bridge import L1_WINDOW, QUEUE_DELAY, USER_FUNDS, BridgePair, Side

pytestmark = pytest.mark.chain

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
TUSD = 10**6


# Deployment and linking


def test_deployment_links_both_bridges(
    bridge_pair: BridgePair, bridge_guardian: Any, custody_key: Any
) -> None:
    l1, l2 = bridge_pair.l1.bridge, bridge_pair.l2.bridge
    x, y = custody_key[1].group_public_key.coordinates()
    chain_id = int(bridge_pair.chain.chain_id)
    assert l1.remote() == (chain_id, l2.address)
    assert l2.remote() == (chain_id, l1.address)
    for bridge in (l1, l2):
        assert bridge.guardian() == bridge_guardian
        assert bridge.custody_key() == (x, y % 2)
        assert bridge.queue_delay() == QUEUE_DELAY
        assert not bridge.paused()
        assert bridge.last_nonce() == 0
        assert bridge.DOMAIN_SEPARATOR() == domain_separator("TPWallet", "1", chain_id, bridge.address)
    assert l1.challenge_window() == L1_WINDOW
    assert l2.challenge_window() == 0


@pytest.mark.parametrize(
    ("guardian_is_zero", "remote_chain", "window", "delay", "reason"),
    [
        (True, 31338, 0, 0, "bridge: guardian is the zero address"),
        (False, 0, 0, 0, "bridge: remote chain id is zero"),
        (False, 31338, 30 * 86400 + 1, 0, "bridge: challenge window is longer than 30 days"),
        (False, 31338, 0, 30 * 86400 + 1, "bridge: queue delay is longer than 30 days"),
    ],
)
def test_deployment_refuses_bad_parameters(
    project: Any,
    deployer: Any,
    bridge_guardian: Any,
    custody_key: Any,
    guardian_is_zero: bool,
    remote_chain: int,
    window: int,
    delay: int,
    reason: str,
) -> None:
    x, y = custody_key[1].group_public_key.coordinates()
    guardian = ZERO_ADDRESS if guardian_is_zero else bridge_guardian
    for contract in (project.BridgeL1, project.BridgeL2):
        with ape.reverts(reason):
            contract.deploy(guardian, remote_chain, x, y, window, delay, sender=deployer)
    with ape.reverts("schnorr: group key is not on the curve"):
        project.BridgeL1.deploy(bridge_guardian, 31338, x, y + 1, 0, 0, sender=deployer)


def test_an_unlinked_bridge_refuses_deposits_and_batches(
    project: Any, deployer: Any, bridge_guardian: Any, custody_key: Any, bridge_pair: BridgePair
) -> None:
    x, y = custody_key[1].group_public_key.coordinates()
    lone = project.BridgeL1.deploy(bridge_guardian, 31338, x, y, 0, 0, sender=deployer)
    with ape.reverts("bridge: not initialized"):
        lone.deposit(bridge_pair.l1.token, TUSD, deployer, sender=deployer)
    with ape.reverts("bridge: not initialized"):
        lone.attest(1, b"\x11" * 32, 1, ZERO_ROOT, 1, 1, 1, 0, sender=deployer)
    with ape.reverts("bridge: remote bridge is zero"):
        lone.initialize(ZERO_ADDRESS, sender=deployer)
    lone.initialize(lone, sender=deployer)  # the remote may share its address (same nonce on both chains)
    with ape.reverts("bridge: already initialized"):
        lone.initialize(deployer, sender=deployer)


# Deposit -> claim on L2


def test_deposit_escrows_and_numbers_messages(
    bridge_pair: BridgePair, bridge_user: Any, recipient: Any
) -> None:
    l1 = bridge_pair.l1
    before = l1.token.balanceOf(bridge_user)
    first = bridge_pair.deposit(bridge_user, 5 * TUSD, recipient)
    second = bridge_pair.deposit(bridge_user, 7 * TUSD)
    assert (first.nonce, second.nonce) == (1, 2)
    assert l1.bridge.last_nonce() == 2
    assert (first.src_token, first.dst_token) == (l1.token.address, bridge_pair.l2.token.address)
    assert (first.sender, first.recipient, first.amount) == (bridge_user.address, recipient.address, 5 * TUSD)
    assert l1.token.balanceOf(l1.bridge) == 12 * TUSD
    assert l1.token.balanceOf(bridge_user) == before - 12 * TUSD


def test_deposit_refuses_bad_input(bridge_pair: BridgePair, bridge_user: Any, deployer: Any) -> None:
    bridge, token = bridge_pair.l1.bridge, bridge_pair.l1.token
    token.approve(bridge, 10 * TUSD, sender=bridge_user)
    with ape.reverts("bridge: amount is zero"):
        bridge.deposit(token, 0, bridge_user, sender=bridge_user)
    with ape.reverts("bridge: recipient is the zero address"):
        bridge.deposit(token, TUSD, ZERO_ADDRESS, sender=bridge_user)
    with ape.reverts("bridge: token is not allowlisted"):
        bridge.deposit(bridge_pair.l2.token, TUSD, bridge_user, sender=bridge_user)
    with ape.reverts("token: insufficient allowance"):
        bridge.deposit(token, 11 * TUSD, bridge_user, sender=bridge_user)
    bridge.set_token(token, bridge_pair.l2.token, 0, sender=bridge_pair.guardian)
    with ape.reverts("bridge: token is not allowlisted"):
        bridge.deposit(token, TUSD, bridge_user, sender=bridge_user)


def test_a_deposit_is_minted_on_l2_once(bridge_pair: BridgePair, bridge_user: Any, recipient: Any) -> None:
    l2 = bridge_pair.l2
    message = bridge_pair.deposit(bridge_user, 25 * TUSD, recipient)
    seq, batch = bridge_pair.attest(l2, [message, bridge_pair.deposit(bridge_user, TUSD)])
    receipt = bridge_pair.claim(l2, seq, batch, message)
    assert l2.token.balanceOf(recipient) == 25 * TUSD
    assert l2.token.totalSupply() == 25 * TUSD
    assert l2.bridge.is_consumed(message.nonce)
    assert receipt.events.filter(l2.bridge.Claimed) == [l2.bridge.Claimed(nonce=message.nonce)]
    assert receipt.events.filter(l2.token.Transfer) == [
        l2.token.Transfer(sender=ZERO_ADDRESS, receiver=recipient, value=25 * TUSD)
    ]
    with ape.reverts("bridge: message already claimed"):
        bridge_pair.claim(l2, seq, batch, message)


def test_claim_refuses_bad_input(bridge_pair: BridgePair, bridge_user: Any) -> None:
    l2 = bridge_pair.l2
    message = bridge_pair.deposit(bridge_user, TUSD)
    seq, _ = bridge_pair.attest(l2, [message])
    with ape.reverts("bridge: batch is not attested"):
        l2.bridge.claim(seq + 1, message.onchain(), [], sender=bridge_user)
    with ape.reverts("bridge: proof does not lead to the batch root"):
        l2.bridge.claim(seq, message.onchain(), [b"\x01" * 32], sender=bridge_user)
    fields = list(message.onchain())
    fields[5] = 2 * TUSD  # the amount
    with ape.reverts("bridge: proof does not lead to the batch root"):
        l2.bridge.claim(seq, tuple(fields), [], sender=bridge_user)
    fields[5] = 0
    with ape.reverts("bridge: amount is zero"):
        l2.bridge.claim(seq, tuple(fields), [], sender=bridge_user)
    fields[5], fields[4] = TUSD, ZERO_ADDRESS
    with ape.reverts("bridge: recipient is the zero address"):
        l2.bridge.claim(seq, tuple(fields), [], sender=bridge_user)


# Withdraw -> challenge window -> release on L1


def test_withdrawal_is_released_on_l1_after_the_challenge_window(
    bridge_pair: BridgePair, bridge_user: Any, recipient: Any
) -> None:
    l1, l2 = bridge_pair.l1, bridge_pair.l2
    bridge_pair.bridge_over(bridge_user, 40 * TUSD)
    withdrawal = bridge_pair.withdraw(bridge_user, 15 * TUSD, recipient)
    assert withdrawal.nonce == 1
    assert (withdrawal.src_token, withdrawal.dst_token) == (l2.token.address, l1.token.address)
    assert l2.token.balanceOf(bridge_user) == 25 * TUSD
    assert l2.token.totalSupply() == 25 * TUSD

    seq, batch = bridge_pair.attest(l1, [withdrawal])
    with ape.reverts("bridge: batch is inside its challenge window"):
        bridge_pair.claim(l1, seq, batch, withdrawal)
    bridge_pair.past_window(l1, seq)
    bridge_pair.claim(l1, seq, batch, withdrawal)
    assert l1.token.balanceOf(recipient) == 15 * TUSD
    assert l1.token.balanceOf(l1.bridge) == 25 * TUSD
    with ape.reverts("bridge: message already claimed"):
        bridge_pair.claim(l1, seq, batch, withdrawal)


def test_withdraw_refuses_bad_input(bridge_pair: BridgePair, bridge_user: Any) -> None:
    l2 = bridge_pair.l2
    with ape.reverts("bridged token: burn amount exceeds balance"):
        l2.bridge.withdraw(l2.token, TUSD, bridge_user, sender=bridge_user)
    with ape.reverts("bridge: amount is zero"):
        l2.bridge.withdraw(l2.token, 0, bridge_user, sender=bridge_user)
    with ape.reverts("bridge: recipient is the zero address"):
        l2.bridge.withdraw(l2.token, TUSD, ZERO_ADDRESS, sender=bridge_user)
    with ape.reverts("bridge: token is not allowlisted"):
        l2.bridge.withdraw(bridge_pair.l1.token, TUSD, bridge_user, sender=bridge_user)


def test_only_the_bridge_mints_and_burns_the_bridged_token(bridge_pair: BridgePair, deployer: Any) -> None:
    token = bridge_pair.l2.token
    assert token.bridge() == bridge_pair.l2.bridge
    with ape.reverts("bridged token: only the bridge mints"):
        token.mint(deployer, TUSD, sender=deployer)
    with ape.reverts("bridged token: only the bridge burns"):
        token.burn(deployer, 0, sender=deployer)


# The guardian's veto


def test_a_vetoed_batch_pays_nothing_and_the_chain_resumes(
    bridge_pair: BridgePair, bridge_user: Any, bridge_guardian: Any
) -> None:
    l1 = bridge_pair.l1
    bridge_pair.bridge_over(bridge_user, 50 * TUSD)
    first = bridge_pair.withdraw(bridge_user, 10 * TUSD)
    good_seq, good_batch = bridge_pair.attest(l1, [first])
    bridge_pair.past_window(l1, good_seq)
    second = bridge_pair.withdraw(bridge_user, 20 * TUSD)
    bad_seq, bad_batch = bridge_pair.attest(l1, [second])
    later_seq, later_batch = bridge_pair.attest(l1, [bridge_pair.withdraw(bridge_user, 5 * TUSD)])

    with ape.reverts("bridge: only the guardian vetoes"):
        l1.bridge.veto(bad_seq, sender=bridge_user)
    with ape.reverts("bridge: challenge window is over"):
        l1.bridge.veto(good_seq, sender=bridge_guardian)
    receipt = l1.bridge.veto(bad_seq, sender=bridge_guardian)
    assert receipt.events == [l1.bridge.BatchVetoed(first_seq=bad_seq, last_seq=later_seq)]
    assert l1.bridge.batch(bad_seq)[2]
    assert l1.bridge.batch(later_seq)[2]
    with ape.reverts("bridge: batch is already vetoed"):
        l1.bridge.veto(later_seq, sender=bridge_guardian)

    bridge_pair.past_window(l1, later_seq)
    with ape.reverts("bridge: batch was vetoed"):
        bridge_pair.claim(l1, bad_seq, bad_batch, second)
    bridge_pair.claim(l1, good_seq, good_batch, first)

    # the vetoed seqs are not reused, and the next batch chains from the last one not vetoed
    l1.valid_seq = good_seq
    retry = Batch(bridge_pair.route(l1), [second])
    with ape.reverts("bridge: seq is already attested"):
        bridge_pair.submit(l1, retry, bad_seq, good_batch.root)
    with ape.reverts("bridge: prevRoot is not the root of the last batch not vetoed"):
        bridge_pair.submit(l1, retry, later_seq + 1, later_batch.root)
    seq, batch = bridge_pair.attest(l1, [second])
    assert seq == later_seq + 1
    bridge_pair.past_window(l1, seq)
    bridge_pair.claim(l1, seq, batch, second)
    # 50 tUSD went across and 30 came back
    assert l1.token.balanceOf(bridge_user) == USER_FUNDS - 20 * TUSD


def test_the_treasury_owners_veto_through_the_multisig(
    project: Any,
    deployer: Any,
    treasury_owners: list[Any],
    custody_key: Any,
    treasury_relayer: Any,
    bridge_pair: BridgePair,
    bridge_user: Any,
    chain: Any,
) -> None:
    owners = treasury_owners[: treasury_support.OWNER_COUNT]
    contract = treasury_support.deploy_treasury(
        project, deployer, owners, treasury_support.THRESHOLD, custody_key, []
    )
    treasury = treasury_support.TreasuryDriver(contract, owners, custody_key, treasury_relayer, chain)
    x, y = custody_key[1].group_public_key.coordinates()
    guarded = project.BridgeL1.deploy(contract, chain.chain_id, x, y, L1_WINDOW, QUEUE_DELAY, sender=deployer)
    guarded.initialize(bridge_pair.l2.bridge, sender=deployer)
    side = Side(guarded, bridge_pair.l1.token)
    user = bridge_user.address
    message = Message(bridge_pair.route(side), 1, user, user, user, user, TUSD)
    seq, _ = bridge_pair.attest(side, [message])

    with ape.reverts("bridge: only the guardian vetoes"):
        guarded.veto(seq, sender=bridge_pair.guardian)
    veto = treasury.transfer_tx(guarded.address, ZERO_ADDRESS, 0, data=bytes(guarded.veto.encode_input(seq)))
    treasury.execute(veto)
    assert guarded.batch(seq)[2]
