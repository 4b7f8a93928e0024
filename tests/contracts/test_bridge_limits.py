"""The bridge's 24-hour rate limits and delay queue (Wormhole's governor), the guardian's pause, and the
guardian-only configuration, on both sides."""

from typing import Any

import ape
import pytest

from chain.bridge.batch import ZERO_ROOT, Batch
from chain.bridge.message import Message
from tests.helpers.bridge import QUEUE_DELAY, BridgePair
from tests.helpers.frost_signing import fixed_key

pytestmark = pytest.mark.chain

TUSD = 10**6
LIMIT = 100 * TUSD
DAY = 86400


def was_queued(side: Any, receipt: Any) -> bool:
    """Whether the claim queued its message (Queued) rather than paying it (Claimed)."""
    queued = bool(receipt.events.filter(side.bridge.Queued))
    assert queued != bool(receipt.events.filter(side.bridge.Claimed))
    return queued


@pytest.fixture
def limited(bridge_pair: BridgePair) -> BridgePair:
    """The pair with a 100 tUSD daily limit on L2 claims (the bridged token) and on L1 releases (tUSD)."""
    bridge_pair.l2.bridge.set_token(
        bridge_pair.l2.token, bridge_pair.l1.token, LIMIT, sender=bridge_pair.guardian
    )
    bridge_pair.l1.bridge.set_token(
        bridge_pair.l1.token, bridge_pair.l2.token, LIMIT, sender=bridge_pair.guardian
    )
    return bridge_pair


def test_a_claim_over_the_limit_is_queued_and_released_after_the_delay(
    limited: BridgePair, bridge_user: Any, recipient: Any, chain: Any
) -> None:
    l2 = limited.l2
    first = limited.deposit(bridge_user, 60 * TUSD, recipient)
    second = limited.deposit(bridge_user, 60 * TUSD, recipient)
    seq, batch = limited.attest(l2, [first, second])
    limited.claim(l2, seq, batch, first)
    assert l2.bridge.token(l2.token)[1:] == (LIMIT, 40 * TUSD)

    receipt = limited.claim(l2, seq, batch, second)
    leaf = second.leaf()
    release_at = int(chain.blocks.head.timestamp) + QUEUE_DELAY
    assert receipt.events == [l2.bridge.Queued(nonce=second.nonce, leaf=leaf, release_at=release_at)]
    assert l2.bridge.queued(leaf) == release_at
    assert l2.bridge.is_consumed(second.nonce)
    assert l2.token.balanceOf(recipient) == 60 * TUSD
    with ape.reverts("bridge: message already claimed"):
        limited.claim(l2, seq, batch, second)
    with ape.reverts("bridge: queue delay is not over"):
        l2.bridge.release(second.onchain(), sender=bridge_user)

    chain.mine(timestamp=release_at)
    receipt = l2.bridge.release(second.onchain(), sender=bridge_user)
    assert l2.bridge.Released(nonce=second.nonce, leaf=leaf) in receipt.events
    assert l2.token.balanceOf(recipient) == 120 * TUSD
    assert l2.bridge.queued(leaf) == 0
    with ape.reverts("bridge: message is not queued"):
        l2.bridge.release(second.onchain(), sender=bridge_user)


def test_a_single_message_above_the_limit_waits_even_with_the_limit_unused(
    limited: BridgePair, bridge_user: Any
) -> None:
    l2 = limited.l2
    big = limited.deposit(bridge_user, LIMIT + 1)
    seq, batch = limited.attest(l2, [big])
    assert was_queued(l2, limited.claim(l2, seq, batch, big))
    assert l2.token.balanceOf(bridge_user) == 0
    assert l2.bridge.token(l2.token)[2] == LIMIT


def test_the_limit_refills_over_24_hours(limited: BridgePair, bridge_user: Any, chain: Any) -> None:
    l2 = limited.l2
    messages = [limited.deposit(bridge_user, amount) for amount in (60 * TUSD, 90 * TUSD, TUSD)]
    seq, batch = limited.attest(l2, messages)
    limited.claim(l2, seq, batch, messages[0])
    chain.mine(timestamp=int(chain.blocks.head.timestamp) + DAY // 2)
    # half a day gives back half the limit: 60 - 50 = 10 used, 90 more fit exactly
    assert not was_queued(l2, limited.claim(l2, seq, batch, messages[1]))
    assert was_queued(l2, limited.claim(l2, seq, batch, messages[2]))
    assert l2.token.balanceOf(bridge_user) == 150 * TUSD


def test_l1_releases_are_rate_limited_too(limited: BridgePair, bridge_user: Any, chain: Any) -> None:
    l1, l2 = limited.l1, limited.l2
    limited.bridge_over(bridge_user, 100 * TUSD)
    withdrawals = [limited.withdraw(bridge_user, 50 * TUSD) for _ in range(2)]
    chain.mine(timestamp=int(chain.blocks.head.timestamp) + DAY)
    limited.l1.bridge.set_token(l1.token, l2.token, 70 * TUSD, sender=limited.guardian)
    seq, batch = limited.attest(l1, withdrawals)
    limited.past_window(l1, seq)
    before = l1.token.balanceOf(bridge_user)
    assert not was_queued(l1, limited.claim(l1, seq, batch, withdrawals[0]))
    assert was_queued(l1, limited.claim(l1, seq, batch, withdrawals[1]))
    chain.mine(timestamp=int(chain.blocks.head.timestamp) + QUEUE_DELAY)
    l1.bridge.release(withdrawals[1].onchain(), sender=bridge_user)
    assert l1.token.balanceOf(bridge_user) == before + 100 * TUSD
    assert l1.token.balanceOf(l1.bridge) == 0


# Pause


def test_pause_stops_sending_attesting_claiming_and_releasing(
    limited: BridgePair, bridge_user: Any, bridge_guardian: Any, chain: Any
) -> None:
    l1, l2 = limited.l1, limited.l2
    messages = [limited.deposit(bridge_user, 60 * TUSD) for _ in range(3)]
    seq, batch = limited.attest(l2, messages[:2])
    limited.claim(l2, seq, batch, messages[0])
    limited.claim(l2, seq, batch, messages[1])  # queued
    with ape.reverts("bridge: only the guardian pauses"):
        l2.bridge.pause(sender=bridge_user)
    for side in (l1, l2):
        side.bridge.pause(sender=bridge_guardian)
        assert side.bridge.paused()
    with ape.reverts("bridge: already paused"):
        l2.bridge.pause(sender=bridge_guardian)

    l1.token.approve(l1.bridge, TUSD, sender=bridge_user)
    with ape.reverts("bridge: paused"):
        l1.bridge.deposit(l1.token, TUSD, bridge_user, sender=bridge_user)
    with ape.reverts("bridge: paused"):
        l2.bridge.withdraw(l2.token, TUSD, bridge_user, sender=bridge_user)
    with ape.reverts("bridge: paused"):
        limited.attest(l2, messages[2:])
    with ape.reverts("bridge: paused"):
        limited.claim(l2, seq, batch, messages[1])
    chain.mine(timestamp=int(chain.blocks.head.timestamp) + QUEUE_DELAY)
    with ape.reverts("bridge: paused"):
        l2.bridge.release(messages[1].onchain(), sender=bridge_user)
    with ape.reverts("bridge: only the guardian unpauses"):
        l2.bridge.unpause(sender=bridge_user)
    l2.bridge.unpause(sender=bridge_guardian)
    with ape.reverts("bridge: not paused"):
        l2.bridge.unpause(sender=bridge_guardian)
    l2.bridge.release(messages[1].onchain(), sender=bridge_user)
    assert l2.token.balanceOf(bridge_user) == 120 * TUSD


def test_the_guardian_vetoes_while_paused(
    bridge_pair: BridgePair, bridge_user: Any, bridge_guardian: Any
) -> None:
    l1 = bridge_pair.l1
    user = bridge_user.address
    message = Message(bridge_pair.route(l1), 1, user, user, user, user, TUSD)
    seq, _ = bridge_pair.attest(l1, [message])
    l1.bridge.pause(sender=bridge_guardian)
    l1.bridge.veto(seq, sender=bridge_guardian)
    assert l1.bridge.batch(seq)[2]


# The guardian's configuration


def test_only_the_guardian_configures(bridge_pair: BridgePair, bridge_user: Any, custody_key: Any) -> None:
    x, y = custody_key[1].group_public_key.coordinates()
    for side in (bridge_pair.l1, bridge_pair.l2):
        bridge = side.bridge
        with ape.reverts("bridge: only the guardian sets tokens"):
            bridge.set_token(side.token, side.token, 1, sender=bridge_user)
        with ape.reverts("bridge: only the guardian sets the queue delay"):
            bridge.set_queue_delay(1, sender=bridge_user)
        with ape.reverts("bridge: only the guardian sets the challenge window"):
            bridge.set_challenge_window(1, sender=bridge_user)
        with ape.reverts("bridge: only the guardian sets the custody key"):
            bridge.set_custody_key(x, y, sender=bridge_user)


def test_configuration_refuses_bad_values(
    bridge_pair: BridgePair, bridge_guardian: Any, custody_key: Any
) -> None:
    bridge, token = bridge_pair.l2.bridge, bridge_pair.l2.token
    zero = "0x0000000000000000000000000000000000000000"
    x, y = custody_key[1].group_public_key.coordinates()
    with ape.reverts("bridge: token is the zero address"):
        bridge.set_token(zero, token, 1, sender=bridge_guardian)
    with ape.reverts("bridge: remote token is the zero address"):
        bridge.set_token(token, zero, 1, sender=bridge_guardian)
    with ape.reverts("bridge: limit does not fit 96 bits"):
        bridge.set_token(token, token, 2**96, sender=bridge_guardian)
    with ape.reverts("bridge: queue delay is longer than 30 days"):
        bridge.set_queue_delay(30 * DAY + 1, sender=bridge_guardian)
    with ape.reverts("bridge: challenge window is longer than 30 days"):
        bridge.set_challenge_window(30 * DAY + 1, sender=bridge_guardian)
    with ape.reverts("schnorr: group key is not on the curve"):
        bridge.set_custody_key(x, y + 1, sender=bridge_guardian)


def test_a_rotated_custody_key_alone_attests(
    bridge_pair: BridgePair, bridge_user: Any, bridge_guardian: Any
) -> None:
    l2 = bridge_pair.l2
    new_key = fixed_key(4242)
    x, y = new_key[1].group_public_key.coordinates()
    l2.bridge.set_custody_key(x, y, sender=bridge_guardian)
    assert l2.bridge.custody_key() == (x, y % 2)
    batch = Batch(bridge_pair.route(l2), [bridge_pair.deposit(bridge_user, TUSD)])
    with ape.reverts("bridge: signature is not the custody key's"):
        bridge_pair.submit(l2, batch, 1, ZERO_ROOT)
    bridge_pair.submit(l2, batch, 1, ZERO_ROOT, bridge_pair.sign(l2, batch, 1, ZERO_ROOT, key=new_key))
    l2.bridge.set_challenge_window(600, sender=bridge_guardian)
    assert l2.bridge.challenge_window() == 600
    assert l2.bridge.custody_key() == (x, y % 2)
