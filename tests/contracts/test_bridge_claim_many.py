"""BridgeL1/BridgeL2 `claim_many`: the relay's claim of many messages of a batch in one transaction.

It pays (or queues) each message as `claim` does, and refuses whatever `claim` refuses with the same reason,
except a message whose nonce was consumed already: that one is skipped, so a user who claims their own message
ahead of the relay cannot make the relay's whole transaction revert.
"""

from typing import Any

import ape
import pytest

from chain.bridge.message import Message
from tests.helpers.bridge import QUEUE_DELAY, BridgePair

pytestmark = pytest.mark.chain

TUSD = 10**6
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MAX_CLAIMS = 128


def as_call(messages: list[Message], batch: Any) -> tuple[list[Any], list[Any]]:
    """`claim_many`'s messages and proofs arguments."""
    return [message.onchain() for message in messages], [batch.proof(message) for message in messages]


def test_claim_many_mints_every_message_once(
    bridge_pair: BridgePair, bridge_user: Any, recipient: Any, deployer: Any
) -> None:
    l2 = bridge_pair.l2
    messages = [
        bridge_pair.deposit(bridge_user, amount * TUSD, to)
        for amount, to in ((3, recipient), (4, bridge_user), (5, recipient))
    ]
    seq, batch = bridge_pair.attest(l2, messages)
    # anyone may claim: the tokens go to each message's recipient, never to the caller
    assert l2.bridge.claim_many.call(seq, *as_call(messages, batch), sender=deployer) == 3
    receipt = bridge_pair.claim_many(l2, seq, batch, messages, sender=deployer)
    assert receipt.events.filter(l2.bridge.Claimed) == [l2.bridge.Claimed(nonce=m.nonce) for m in messages]
    assert receipt.events.filter(l2.token.Transfer) == [
        l2.token.Transfer(sender=ZERO_ADDRESS, receiver=m.recipient, value=m.amount) for m in messages
    ]
    assert l2.token.balanceOf(recipient) == 8 * TUSD
    assert l2.token.balanceOf(bridge_user) == 4 * TUSD
    assert l2.token.balanceOf(deployer) == 0
    assert all(l2.bridge.is_consumed(m.nonce) for m in messages)
    with ape.reverts("bridge: message already claimed"):
        bridge_pair.claim(l2, seq, batch, messages[0])


def test_a_message_claimed_first_elsewhere_is_skipped_not_reverted(
    bridge_pair: BridgePair, bridge_user: Any, recipient: Any
) -> None:
    l2 = bridge_pair.l2
    messages = [bridge_pair.deposit(bridge_user, TUSD, recipient) for _ in range(3)]
    seq, batch = bridge_pair.attest(l2, messages)
    bridge_pair.claim(l2, seq, batch, messages[1], sender=recipient)  # the recipient self-claims first
    assert l2.bridge.claim_many.call(seq, *as_call(messages, batch), sender=bridge_pair.relayer) == 2
    receipt = bridge_pair.claim_many(l2, seq, batch, messages)
    assert receipt.events.filter(l2.bridge.Claimed) == [
        l2.bridge.Claimed(nonce=messages[0].nonce),
        l2.bridge.Claimed(nonce=messages[2].nonce),
    ]
    assert l2.token.balanceOf(recipient) == 3 * TUSD
    # the same call again, and a message twice in one call: skipped, nothing paid twice
    receipt = bridge_pair.claim_many(l2, seq, batch, messages + messages[:1])
    assert receipt.events == []
    assert l2.token.balanceOf(recipient) == 3 * TUSD
    assert l2.token.totalSupply() == 3 * TUSD


def test_a_message_twice_in_one_call_pays_once(bridge_pair: BridgePair, bridge_user: Any) -> None:
    l2 = bridge_pair.l2
    message = bridge_pair.deposit(bridge_user, 2 * TUSD)
    seq, batch = bridge_pair.attest(l2, [message])
    receipt = bridge_pair.claim_many(l2, seq, batch, [message, message])
    assert receipt.events.filter(l2.bridge.Claimed) == [l2.bridge.Claimed(nonce=message.nonce)]
    assert l2.token.balanceOf(bridge_user) == 2 * TUSD


def test_claim_many_refuses_what_claim_refuses(bridge_pair: BridgePair, bridge_user: Any) -> None:
    l2 = bridge_pair.l2
    messages = [bridge_pair.deposit(bridge_user, TUSD) for _ in range(2)]
    seq, batch = bridge_pair.attest(l2, messages)
    onchain, proofs = as_call(messages, batch)
    relayer = bridge_pair.relayer
    with ape.reverts("bridge: no messages"):
        l2.bridge.claim_many(seq, [], [], sender=relayer)
    with ape.reverts("bridge: messages and proofs differ in number"):
        l2.bridge.claim_many(seq, onchain, proofs[:1], sender=relayer)
    with ape.reverts("bridge: batch is not attested"):
        l2.bridge.claim_many(seq + 1, onchain, proofs, sender=relayer)
    with ape.reverts("bridge: proof does not lead to the batch root"):
        l2.bridge.claim_many(seq, onchain, [proofs[0], [b"\x01" * 32]], sender=relayer)
    fields = list(onchain[1])
    fields[5] = 2 * TUSD  # the amount, raised
    with ape.reverts("bridge: proof does not lead to the batch root"):
        l2.bridge.claim_many(seq, [onchain[0], tuple(fields)], proofs, sender=relayer)
    fields[5] = 0
    with ape.reverts("bridge: amount is zero"):
        l2.bridge.claim_many(seq, [onchain[0], tuple(fields)], proofs, sender=relayer)
    fields[5], fields[4] = TUSD, ZERO_ADDRESS
    with ape.reverts("bridge: recipient is the zero address"):
        l2.bridge.claim_many(seq, [onchain[0], tuple(fields)], proofs, sender=relayer)
    # one call holds at most MAX_CLAIMS messages: more do not even decode
    with ape.reverts():
        l2.bridge.claim_many(
            seq, onchain[:1] * (MAX_CLAIMS + 1), proofs[:1] * (MAX_CLAIMS + 1), sender=relayer
        )
    # a refusal reverts the whole call: the first message was not paid either
    assert not l2.bridge.is_consumed(messages[0].nonce)
    bridge_pair.claim(l2, seq, batch, messages[0])
    # a consumed message is skipped only with its proof: a bad one is refused all the same
    with ape.reverts("bridge: proof does not lead to the batch root"):
        l2.bridge.claim_many(seq, onchain, [[b"\x01" * 32], proofs[1]], sender=relayer)
    bridge_pair.l2.bridge.set_token(l2.token, bridge_pair.l1.token, 0, sender=bridge_pair.guardian)
    with ape.reverts("bridge: token is not allowlisted"):
        l2.bridge.claim_many(seq, onchain, proofs, sender=relayer)


def test_claim_many_queues_what_is_over_the_limit(
    bridge_pair: BridgePair, bridge_user: Any, recipient: Any, chain: Any
) -> None:
    l2 = bridge_pair.l2
    limit = 100 * TUSD
    l2.bridge.set_token(l2.token, bridge_pair.l1.token, limit, sender=bridge_pair.guardian)
    messages = [bridge_pair.deposit(bridge_user, 60 * TUSD, recipient) for _ in range(2)]
    seq, batch = bridge_pair.attest(l2, messages)
    assert l2.bridge.claim_many.call(seq, *as_call(messages, batch), sender=bridge_pair.relayer) == 1
    receipt = bridge_pair.claim_many(l2, seq, batch, messages)
    leaf = messages[1].leaf()
    release_at = int(chain.blocks.head.timestamp) + QUEUE_DELAY
    assert receipt.events.filter(l2.bridge.Claimed) == [l2.bridge.Claimed(nonce=messages[0].nonce)]
    assert receipt.events.filter(l2.bridge.Queued) == [
        l2.bridge.Queued(nonce=messages[1].nonce, leaf=leaf, release_at=release_at)
    ]
    assert l2.token.balanceOf(recipient) == 60 * TUSD
    assert l2.bridge.queued(leaf) == release_at
    # a queued message is consumed: a second claim_many skips it
    assert bridge_pair.claim_many(l2, seq, batch, messages[1:]).events == []
    chain.mine(timestamp=release_at)
    l2.bridge.release(messages[1].onchain(), sender=bridge_user)
    assert l2.token.balanceOf(recipient) == 120 * TUSD


def test_claim_many_releases_withdrawals_on_l1_after_the_window_only(
    bridge_pair: BridgePair, bridge_user: Any, recipient: Any
) -> None:
    l1 = bridge_pair.l1
    bridge_pair.bridge_over(bridge_user, 30 * TUSD)
    withdrawals = [bridge_pair.withdraw(bridge_user, amount * TUSD, recipient) for amount in (10, 15)]
    seq, batch = bridge_pair.attest(l1, withdrawals)
    with ape.reverts("bridge: batch is inside its challenge window"):
        bridge_pair.claim_many(l1, seq, batch, withdrawals)
    bridge_pair.past_window(l1, seq)
    receipt = bridge_pair.claim_many(l1, seq, batch, withdrawals)
    assert receipt.events.filter(l1.bridge.Claimed) == [l1.bridge.Claimed(nonce=m.nonce) for m in withdrawals]
    assert receipt.events.filter(l1.token.Transfer) == [
        l1.token.Transfer(sender=l1.bridge, receiver=recipient, value=m.amount) for m in withdrawals
    ]
    assert l1.token.balanceOf(recipient) == 25 * TUSD
    assert l1.token.balanceOf(l1.bridge) == 5 * TUSD


def test_claim_many_refuses_a_vetoed_batch(
    bridge_pair: BridgePair, bridge_user: Any, bridge_guardian: Any
) -> None:
    l1 = bridge_pair.l1
    bridge_pair.bridge_over(bridge_user, 10 * TUSD)
    withdrawal = bridge_pair.withdraw(bridge_user, 10 * TUSD)
    seq, batch = bridge_pair.attest(l1, [withdrawal])
    l1.bridge.veto(seq, sender=bridge_guardian)
    bridge_pair.past_window(l1, seq)
    with ape.reverts("bridge: batch was vetoed"):
        bridge_pair.claim_many(l1, seq, batch, [withdrawal])


def test_claim_many_refuses_while_paused(
    bridge_pair: BridgePair, bridge_user: Any, bridge_guardian: Any
) -> None:
    l1, l2 = bridge_pair.l1, bridge_pair.l2
    bridge_pair.bridge_over(bridge_user, 10 * TUSD)
    withdrawal = bridge_pair.withdraw(bridge_user, 10 * TUSD)
    l1_seq, l1_batch = bridge_pair.attest(l1, [withdrawal])
    bridge_pair.past_window(l1, l1_seq)
    deposit = bridge_pair.deposit(bridge_user, TUSD)
    l2_seq, l2_batch = bridge_pair.attest(l2, [deposit])
    for side, seq, batch, message in ((l1, l1_seq, l1_batch, withdrawal), (l2, l2_seq, l2_batch, deposit)):
        side.bridge.pause(sender=bridge_guardian)
        with ape.reverts("bridge: paused"):
            bridge_pair.claim_many(side, seq, batch, [message])
        side.bridge.unpause(sender=bridge_guardian)
        bridge_pair.claim_many(side, seq, batch, [message])
        assert side.bridge.is_consumed(message.nonce)
