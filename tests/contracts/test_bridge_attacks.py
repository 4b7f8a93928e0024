"""The bridge refuses the famous bridge failures, each reproduced against BridgeL2 (the L1 side shares the
code, `modules/bridge_inbox.vy`, and the L1 cases run there too where they differ).

- Ronin (2022): too few signers. With FROST a t-of-n group has one key; t-1 real shares, combined however an
  attacker likes, do not make a signature of it.
- Wormhole (2022): a forged or wrong-key signature, and a signature made for another chain or another bridge.
- Nomad (2022): a zero or unproven root accepted, and messages replayed after an upgrade (a redeployment).
- A second initialization (Nomad's upgrade set the trusted root to zero; Parity's wallet was re-initialized).
"""

import secrets
from typing import Any

import ape
import pytest

from chain.bridge.batch import ZERO_ROOT, Batch, batch_intent
from chain.bridge.message import Message, Route
from custody.frost import (
    InvalidCommitments,
    N,
    Signature,
    SigningPackage,
    aggregate,
    round1_commit,
    round2_sign,
)
from custody.frost.binding import derive_session
from custody.frost.polynomial import lagrange_coefficient
from tests.helpers.bridge import BridgePair, Side, deploy_pair
from tests.helpers.frost_signing import Key, fixed_key, sign_with_key

pytestmark = pytest.mark.chain

TUSD = 10**6
NOT_CUSTODY = "bridge: signature is not the custody key's"


def deposit_batch(bridge_pair: BridgePair, user: Any) -> tuple[Message, Batch]:
    """A deposit and the batch that carries it to L2 (not attested)."""
    message = bridge_pair.deposit(user, 10 * TUSD)
    return message, Batch(bridge_pair.route(bridge_pair.l2), [message])


def partial_signature(key: Key, signers: list[int], digest: bytes) -> Signature:
    """What `signers`' real shares make when combined as FROST would, with no threshold check: each share
    signs with its Lagrange coefficient over `signers` and the shares are summed."""
    key_packages, public_key_package = key
    round_one = {i: round1_commit(key_packages[i].signing_share) for i in signers}
    package = SigningPackage({i: commitments for i, (_, commitments) in round_one.items()}, digest)
    session = derive_session(public_key_package.group_public_key, package)
    z = 0
    for i, (nonces, _) in round_one.items():
        share = key_packages[i].signing_share
        coefficient = lagrange_coefficient(package.participants, i)
        z += (
            nonces.hiding
            + nonces.binding * session.binding_factors[i]
            + coefficient * share * session.challenge
        )
    return Signature(session.group_commitment, z % N)


# Ronin: fewer than t signers


def test_t_minus_one_real_shares_make_no_signature_the_bridge_accepts(
    project: Any, deployer: Any, bridge_guardian: Any, anchor_relayer: Any, bridge_user: Any
) -> None:
    key = fixed_key(2022, min_signers=3, max_signers=5)
    token = project.Token.deploy("TPWallet USD", "tUSD", 6, sender=deployer)
    token.set_minter(deployer, True, sender=deployer)
    token.mint(bridge_user, 100 * TUSD, sender=deployer)
    pair = deploy_pair(project, deployer, bridge_guardian, anchor_relayer, key, token)
    message, batch = deposit_batch(pair, bridge_user)
    digest = batch.digest(1, ZERO_ROOT)

    # the protocol itself refuses to run with two signers of a 3-of-5 key
    nonces, commitments = round1_commit(key[0][1].signing_share)
    two = SigningPackage({1: commitments, 2: round1_commit(key[0][2].signing_share)[1]}, digest)
    with pytest.raises(InvalidCommitments):
        round2_sign(two, nonces, key[0][1])
    # and an attacker holding two real shares who combines them anyway gets no valid signature
    for signers in ([1, 2], [2, 5], [3, 4]):
        forged = partial_signature(key, signers, digest)
        with ape.reverts(NOT_CUSTODY):
            pair.submit(pair.l2, batch, 1, ZERO_ROOT, forged.onchain())
    # three real shares do sign
    pair.submit(pair.l2, batch, 1, ZERO_ROOT, pair.sign(pair.l2, batch, 1, ZERO_ROOT))
    pair.l2.roots[1] = batch.root
    pair.claim(pair.l2, 1, batch, message)
    assert pair.l2.token.balanceOf(bridge_user) == 10 * TUSD


def test_the_aggregator_refuses_too_few_shares(custody_key: Key) -> None:
    digest = secrets.token_bytes(32)
    nonces, commitments = round1_commit(custody_key[0][1].signing_share)
    package = SigningPackage({1: commitments}, digest)
    with pytest.raises(InvalidCommitments):
        round2_sign(package, nonces, custody_key[0][1])
    with pytest.raises(InvalidCommitments):
        aggregate(package, {}, custody_key[1])


# Wormhole: forged, wrong-key, other-chain and other-bridge signatures


def test_forged_and_wrong_key_signatures_are_refused(bridge_pair: BridgePair, bridge_user: Any) -> None:
    l2 = bridge_pair.l2
    _, batch = deposit_batch(bridge_pair, bridge_user)
    rx, ry, z = bridge_pair.sign(l2, batch, 1, ZERO_ROOT)
    with ape.reverts(NOT_CUSTODY):
        bridge_pair.submit(l2, batch, 1, ZERO_ROOT, (rx, ry, (z + 1) % N))
    with ape.reverts(NOT_CUSTODY):
        bridge_pair.submit(
            l2, batch, 1, ZERO_ROOT, bridge_pair.sign(l2, batch, 1, ZERO_ROOT, key=fixed_key(666))
        )
    with ape.reverts("schnorr: R is not on the curve"):
        bridge_pair.submit(l2, batch, 1, ZERO_ROOT, (rx, ry + 1, z))
    with ape.reverts("schnorr: z is not in [1, n)"):
        bridge_pair.submit(l2, batch, 1, ZERO_ROOT, (rx, ry, 0))
    # a signature of one batch does not cover another root, count or seq
    other = Batch(bridge_pair.route(l2), [bridge_pair.deposit(bridge_user, TUSD)])
    with ape.reverts(NOT_CUSTODY):
        bridge_pair.submit(l2, other, 1, ZERO_ROOT, (rx, ry, z))
    # a wrong key hint makes a key nobody signs for
    hint = bridge_pair.l2.bridge.custody_key()[0] % 2**32
    with ape.reverts(NOT_CUSTODY):
        l2.bridge.attest(
            1, batch.root, 1, ZERO_ROOT, rx, ry, z, (hint + 1) % 2**32, sender=bridge_pair.relayer
        )
    assert l2.bridge.batch(1)[0] == ZERO_ROOT


def test_signatures_for_another_chain_or_bridge_are_refused(
    bridge_pair: BridgePair, bridge_user: Any
) -> None:
    l1, l2 = bridge_pair.l1, bridge_pair.l2
    _, batch = deposit_batch(bridge_pair, bridge_user)
    other_chain = int(bridge_pair.chain.chain_id) + 1
    with ape.reverts(NOT_CUSTODY):
        bridge_pair.submit(
            l2, batch, 1, ZERO_ROOT, bridge_pair.sign(l2, batch, 1, ZERO_ROOT, chain_id=other_chain)
        )
    # the same batch signed under the L1 bridge's domain
    signed_for_l1 = bridge_pair.sign(l2, batch, 1, ZERO_ROOT, verifying_contract=str(l1.bridge.address))
    with ape.reverts(NOT_CUSTODY):
        bridge_pair.submit(l2, batch, 1, ZERO_ROOT, signed_for_l1)
    # a batch of the other direction, properly signed for L1, replayed on L2
    user = str(bridge_user.address)
    reverse = Batch(bridge_pair.route(l1), [Message(bridge_pair.route(l1), 1, user, user, user, user, TUSD)])
    signature = bridge_pair.sign(l1, reverse, 1, ZERO_ROOT)
    bridge_pair.submit(l1, reverse, 1, ZERO_ROOT, signature)
    with ape.reverts(NOT_CUSTODY):
        bridge_pair.submit(l2, reverse, 1, ZERO_ROOT, signature)


# Nomad: zero and unproven roots, replay after an upgrade


def test_a_zero_root_or_an_empty_batch_is_never_attested(bridge_pair: BridgePair) -> None:
    bridge = bridge_pair.l2.bridge
    hint = bridge.custody_key()[0] % 2**32
    with ape.reverts("bridge: root is zero"):
        bridge.attest(1, ZERO_ROOT, 1, ZERO_ROOT, 1, 1, 1, hint, sender=bridge_pair.relayer)
    with ape.reverts("bridge: count is zero (an empty batch)"):
        bridge.attest(1, b"\x11" * 32, 0, ZERO_ROOT, 1, 1, 1, hint, sender=bridge_pair.relayer)
    with ape.reverts("bridge: seq starts at 1"):
        bridge.attest(0, b"\x11" * 32, 1, ZERO_ROOT, 1, 1, 1, hint, sender=bridge_pair.relayer)
    with ape.reverts("bridge: seq is not the next batch"):
        bridge.attest(2, b"\x11" * 32, 1, ZERO_ROOT, 1, 1, 1, hint, sender=bridge_pair.relayer)


def test_a_message_under_no_attested_root_is_refused(bridge_pair: BridgePair, bridge_user: Any) -> None:
    l2 = bridge_pair.l2
    message, batch = deposit_batch(bridge_pair, bridge_user)
    # the zero seq, whose record is zero, and a seq not attested yet prove nothing, even with the empty proof
    for seq in (0, 1, 2):
        with ape.reverts("bridge: batch is not attested"):
            bridge_pair.claim(l2, seq, batch, message)
    # attested, but the message is in another batch: no proof leads to this root
    seq, _ = bridge_pair.attest(l2, [bridge_pair.deposit(bridge_user, TUSD)])
    with ape.reverts("bridge: proof does not lead to the batch root"):
        bridge_pair.claim(l2, seq, batch, message)
    assert l2.token.balanceOf(bridge_user) == 0


def test_messages_are_not_replayed_on_a_redeployed_bridge(
    project: Any, deployer: Any, bridge_pair: BridgePair, bridge_user: Any, custody_key: Key
) -> None:
    l1, l2 = bridge_pair.l1, bridge_pair.l2
    message = bridge_pair.deposit(bridge_user, 10 * TUSD)
    seq, batch = bridge_pair.attest(l2, [message])
    bridge_pair.claim(l2, seq, batch, message)
    old_signature = bridge_pair.sign(l2, batch, seq, ZERO_ROOT)

    # the upgrade: a new L2 bridge (same custody key, same L1 bridge) with its own bridged token
    x, y = custody_key[1].group_public_key.coordinates()
    chain_id = int(bridge_pair.chain.chain_id)
    new = project.BridgeL2.deploy(bridge_pair.guardian, chain_id, x, y, 0, 3600, sender=deployer)
    new.initialize(l1.bridge, sender=deployer)
    new_token = project.BridgedToken.deploy("TPWallet USD (bridged)", "tUSD.b", 6, new, sender=deployer)
    new.set_token(l2.token, l1.token, 10**12, sender=bridge_pair.guardian)
    new.set_token(new_token, l1.token, 10**12, sender=bridge_pair.guardian)
    upgraded = Side(new, new_token)

    # the old batch's signature names the old bridge
    with ape.reverts(NOT_CUSTODY):
        bridge_pair.submit(upgraded, batch, seq, ZERO_ROOT, old_signature)
    # even a batch the custody group signs for the new bridge over the old leaf proves nothing there: the
    # new bridge computes the leaf with its own address
    stale = Batch(bridge_pair.route(l2), [message])
    upgraded_route = Route(chain_id, chain_id, str(l1.bridge.address), str(new.address))
    intent = batch_intent(upgraded_route, 1, stale.root, 1, ZERO_ROOT)
    signature = sign_with_key(custody_key, intent.digest(chain_id, str(new.address))).onchain()
    new.attest(
        1, stale.root, 1, ZERO_ROOT, *signature, new.custody_key()[0] % 2**32, sender=bridge_pair.relayer
    )
    with ape.reverts("bridge: proof does not lead to the batch root"):
        new.claim(1, message.onchain(), stale.proof(message), sender=bridge_user)
    assert upgraded_route != message.route
    assert l2.token.balanceOf(bridge_user) == 10 * TUSD
    assert new_token.totalSupply() == 0


# Initialization


def test_a_bridge_is_initialized_once_by_its_deployer(
    bridge_pair: BridgePair, deployer: Any, bridge_user: Any, bridge_guardian: Any
) -> None:
    for side in (bridge_pair.l1, bridge_pair.l2):
        with ape.reverts("bridge: only the deployer initializes"):
            side.bridge.initialize(bridge_user, sender=bridge_user)
        with ape.reverts("bridge: only the deployer initializes"):
            side.bridge.initialize(bridge_user, sender=bridge_guardian)
        with ape.reverts("bridge: already initialized"):
            side.bridge.initialize(bridge_user, sender=deployer)
    assert bridge_pair.l2.bridge.remote()[1] == bridge_pair.l1.bridge.address
    assert bridge_pair.l1.bridge.remote()[1] == bridge_pair.l2.bridge.address
