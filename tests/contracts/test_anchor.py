"""SettlementAnchor.vy: deployment, anchoring and its chaining rules, signatures and replay, on-chain proofs.

Voids and finality over time are in `test_anchor_void.py`, the owner's powers in `test_anchor_admin.py`, a
random walk of anchors and voids in `test_anchor_properties.py`.
"""

import dataclasses
from typing import Any

import ape
import pytest
from hypothesis import given

from chain.anchor import ZERO_ROOT, key_hint
from chain.eip712 import domain_separator
from chain.intents import Anchor
from chain.merkle import MerkleTree, leaf_hash, leaf_node
from tests.chain.test_intents import anchors
from tests.chain.test_merkle import internal_node_proofs
from tests.helpers.anchor import (
    ANCHOR_WINDOW,
    TRADE_LEAF_TYPES,
    Anchorer,
    batch_tree,
    deadline_of,
    fingerprint,
    other_root,
)
from tests.helpers.frost_signing import fixed_key

pytestmark = pytest.mark.chain

SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ONE_YEAR = 365 * 86400
FORK_CHAIN_ID = 4242
SETTLEMENT, RESERVES = 1, 2

NOT_CUSTODY = "anchor: signature is not the custody key's"
BAD_PREV_ROOT = "anchor: prevRoot is not the root of the last valid anchor"


# Deployment


def test_deployment_sets_owner_key_window_and_domain(
    anchorer: Anchorer, anchor_owner: Any, custody_key: Any, chain: Any
) -> None:
    contract = anchorer.contract
    x, y = custody_key[1].group_public_key.coordinates()
    assert contract.owner() == anchor_owner
    assert contract.pending_owner() == ZERO_ADDRESS
    assert contract.custody_key() == (x, y % 2)
    assert contract.challenge_window() == ANCHOR_WINDOW
    assert contract.head(SETTLEMENT) == (0, 0)
    assert contract.DOMAIN_SEPARATOR() == domain_separator("TPWallet", "1", chain.chain_id, contract.address)
    assert contract.eip712Domain()[1:5] == ("TPWallet", "1", chain.chain_id, contract.address)
    assert contract.creation_metadata.receipt.events == [
        contract.OwnershipTransferred(previous_owner=ZERO_ADDRESS, new_owner=anchor_owner),
        contract.CustodyKeyChanged(previous_key_x=0, key_x=x, key_y_parity=y % 2),
        contract.ChallengeWindowChanged(previous_window=0, window=ANCHOR_WINDOW),
    ]


@pytest.mark.parametrize(
    ("owner_is_zero", "key_shift", "window", "reason"),
    [
        (True, 0, ANCHOR_WINDOW, "anchor: owner is the zero address"),
        (False, 0, ONE_YEAR + 1, "anchor: challenge window is longer than a year"),
        (False, 1, ANCHOR_WINDOW, "schnorr: group key is not on the curve"),
    ],
)
def test_deployment_refuses_bad_parameters(
    project: Any,
    deployer: Any,
    anchor_owner: Any,
    custody_key: Any,
    owner_is_zero: bool,
    key_shift: int,
    window: int,
    reason: str,
) -> None:
    x, y = custody_key[1].group_public_key.coordinates()
    owner = ZERO_ADDRESS if owner_is_zero else anchor_owner
    with ape.reverts(reason):
        project.SettlementAnchor.deploy(owner, x, y + key_shift, window, sender=deployer)


def test_deployment_refuses_a_key_ecrecover_cannot_take(
    project: Any, deployer: Any, anchor_owner: Any
) -> None:
    with ape.reverts("schnorr: group key x is not in [1, n)"):
        project.SettlementAnchor.deploy(anchor_owner, SECP256K1_ORDER, 1, ANCHOR_WINDOW, sender=deployer)


def test_a_window_of_one_year_is_the_longest(
    project: Any, deployer: Any, anchor_owner: Any, custody_key: Any
) -> None:
    x, y = custody_key[1].group_public_key.coordinates()
    contract = project.SettlementAnchor.deploy(anchor_owner, x, y, ONE_YEAR, sender=deployer)
    assert contract.challenge_window() == ONE_YEAR


# Digest


@given(intent=anchors)
def test_digest_equals_the_python_intent_digest(anchorer: Anchorer, chain: Any, intent: Anchor) -> None:
    contract = anchorer.contract
    onchain = contract.anchor_digest(
        intent.kind, intent.seq, intent.root, intent.count, intent.total, intent.prev_root
    )
    assert onchain == intent.digest(chain.chain_id, contract.address)


# Anchoring and chaining


def test_first_anchor_is_seq_1_after_the_zero_root_and_anyone_may_relay(
    anchorer: Anchorer, anchor_attacker: Any, chain: Any
) -> None:
    tree = batch_tree(SETTLEMENT, 1, size=7)
    intent = Anchor(kind=SETTLEMENT, seq=1, root=tree.root, count=7, total=12_345, prev_root=ZERO_ROOT)
    receipt = anchorer.submit(intent, sender=anchor_attacker)
    contract = anchorer.contract
    assert receipt.events == [
        contract.Anchored(kind=SETTLEMENT, seq=1, root=tree.root, count=7, total=12_345, prev_root=ZERO_ROOT)
    ]
    assert contract.head(SETTLEMENT) == (1, 1)
    assert contract.record(SETTLEMENT, 1) == (
        fingerprint(tree.root),
        receipt.timestamp + ANCHOR_WINDOW,
        False,
    )
    assert contract.is_anchored_root(SETTLEMENT, 1, tree.root)
    assert contract.head(RESERVES) == (0, 0)


def test_each_anchor_names_the_previous_root(anchorer: Anchorer) -> None:
    intents = [anchorer.anchor_next(SETTLEMENT) for _ in range(4)]
    assert [intent.seq for intent in intents] == [1, 2, 3, 4]
    assert [intent.prev_root for intent in intents] == [ZERO_ROOT] + [intent.root for intent in intents[:-1]]
    assert anchorer.contract.head(SETTLEMENT) == (4, 4)
    logs = list(anchorer.contract.Anchored.query("*", start_block=0)["event_arguments"])
    assert [(log["seq"], log["root"], log["prev_root"]) for log in logs] == [
        (intent.seq, intent.root, intent.prev_root) for intent in intents
    ]


def test_kinds_are_separate_chains(anchorer: Anchorer) -> None:
    settlement = [anchorer.anchor_next(SETTLEMENT) for _ in range(2)]
    reserves = anchorer.anchor_next(RESERVES, total=10**24)
    assert (reserves.seq, reserves.prev_root) == (1, ZERO_ROOT)
    assert anchorer.anchor_next(SETTLEMENT).prev_root == settlement[1].root
    assert anchorer.contract.head(SETTLEMENT) == (3, 3)
    assert anchorer.contract.head(RESERVES) == (1, 1)


def test_the_same_root_may_be_anchored_again_later(anchorer: Anchorer) -> None:
    """An unchanged reserves snapshot has the same root as the last one; it is a new anchor all the same."""
    tree = batch_tree(RESERVES, 1)
    first = anchorer.anchor_next(RESERVES, tree)
    second = anchorer.anchor_next(RESERVES, tree)
    assert (second.seq, second.root, second.prev_root) == (2, first.root, first.root)


def test_deadlines_follow_the_window(anchorer: Anchorer, chain: Any) -> None:
    anchorer.anchor_next(SETTLEMENT)
    chain.mine(deltatime=100)
    receipt = anchorer.submit(anchorer.next_intent(SETTLEMENT))
    assert deadline_of(anchorer.contract, SETTLEMENT, 2) == receipt.timestamp + ANCHOR_WINDOW
    assert deadline_of(anchorer.contract, SETTLEMENT, 1) < deadline_of(anchorer.contract, SETTLEMENT, 2)


# Refusals


def test_a_zero_root_is_refused(anchorer: Anchorer) -> None:
    intent = dataclasses.replace(anchorer.next_intent(SETTLEMENT), root=ZERO_ROOT)
    with ape.reverts("anchor: root is zero"):
        anchorer.submit(intent)


def test_a_root_with_only_low_bits_is_refused_as_zero(anchorer: Anchorer) -> None:
    """The contract keeps a root's top 216 bits: a root with none set is no root."""
    intent = dataclasses.replace(anchorer.next_intent(SETTLEMENT), root=(2**40 - 1).to_bytes(32, "big"))
    with ape.reverts("anchor: root is zero"):
        anchorer.submit(intent)


def test_an_empty_batch_is_refused(anchorer: Anchorer) -> None:
    intent = dataclasses.replace(anchorer.next_intent(SETTLEMENT), count=0)
    with ape.reverts("anchor: count is zero (an empty batch)"):
        anchorer.submit(intent)


def test_seq_0_is_refused(anchorer: Anchorer) -> None:
    intent = dataclasses.replace(anchorer.next_intent(SETTLEMENT), seq=0)
    with ape.reverts("anchor: seq starts at 1"):
        anchorer.submit(intent)


def test_a_seq_that_skips_ahead_is_refused(anchorer: Anchorer) -> None:
    first = anchorer.anchor_next(SETTLEMENT)
    intent = dataclasses.replace(anchorer.next_intent(SETTLEMENT), seq=3)
    assert intent.prev_root == first.root
    with ape.reverts("anchor: seq is not the next of its kind"):
        anchorer.submit(intent)
    first_of_kind_2 = dataclasses.replace(anchorer.next_intent(RESERVES), seq=2)
    with ape.reverts("anchor: seq is not the next of its kind"):
        anchorer.submit(first_of_kind_2)


def test_a_signed_anchor_is_accepted_once(anchorer: Anchorer) -> None:
    intent = anchorer.next_intent(SETTLEMENT)
    signature = anchorer.sign(intent)
    anchorer.submit(intent, signature)
    with ape.reverts("anchor: seq is already anchored"):
        anchorer.submit(intent, signature)


def test_an_anchored_seq_cannot_be_overwritten(anchorer: Anchorer) -> None:
    anchorer.anchor_next(SETTLEMENT)
    intent = Anchor(kind=SETTLEMENT, seq=1, root=other_root(b"1"), count=1, total=0, prev_root=ZERO_ROOT)
    with ape.reverts("anchor: seq is already anchored"):
        anchorer.submit(intent)


def test_a_first_anchor_must_name_the_zero_root(anchorer: Anchorer) -> None:
    intent = dataclasses.replace(anchorer.next_intent(SETTLEMENT), prev_root=other_root(b"first"))
    with ape.reverts(BAD_PREV_ROOT):
        anchorer.submit(intent)
    # only the low 40 bits set: the fingerprint matches the zero root's, the exact check still refuses it
    low_bits = dataclasses.replace(intent, prev_root=(1).to_bytes(32, "big"))
    with ape.reverts(BAD_PREV_ROOT):
        anchorer.submit(low_bits)


def test_a_wrong_prev_root_is_refused(anchorer: Anchorer) -> None:
    first = anchorer.anchor_next(SETTLEMENT)
    good = anchorer.next_intent(SETTLEMENT)
    for prev_root in (ZERO_ROOT, other_root(b"prev"), bytes([first.root[0] ^ 1]) + first.root[1:]):
        with ape.reverts(BAD_PREV_ROOT):
            anchorer.submit(dataclasses.replace(good, prev_root=prev_root))
    anchorer.submit(good)


# Signatures and replay


@pytest.mark.parametrize(
    ("kind", "signed_fields"),
    [
        (SETTLEMENT, {"seq": 1}),
        (RESERVES, {"kind": SETTLEMENT}),
        (SETTLEMENT, {"root": other_root(b"root")}),
        (SETTLEMENT, {"count": 6}),
        (SETTLEMENT, {"total": 1}),
        (SETTLEMENT, {"prev_root": ZERO_ROOT}),
    ],
)
def test_a_signature_covers_every_field(anchorer: Anchorer, kind: int, signed_fields: dict[str, Any]) -> None:
    """A signature for seq 1 does not anchor seq 2, one for kind 1 not kind 2, and so on for every field."""
    anchorer.anchor_next(kind)
    intent = anchorer.next_intent(kind)
    signed = dataclasses.replace(intent, **signed_fields)
    assert signed != intent
    with ape.reverts(NOT_CUSTODY):
        anchorer.submit(intent, anchorer.sign(signed))
    anchorer.submit(intent)


def test_a_signature_for_another_contract_is_refused(
    anchorer: Anchorer, project: Any, deployer: Any, anchor_owner: Any, custody_key: Any
) -> None:
    x, y = custody_key[1].group_public_key.coordinates()
    twin = project.SettlementAnchor.deploy(anchor_owner, x, y, ANCHOR_WINDOW, sender=deployer)
    intent = anchorer.next_intent(SETTLEMENT)
    signature = anchorer.sign(intent, verifying_contract=twin.address)
    with ape.reverts(NOT_CUSTODY):
        anchorer.submit(intent, signature)
    Anchorer(twin, custody_key, anchorer.relayer).submit(intent, signature)


def test_a_signature_for_another_chain_is_refused(anchorer: Anchorer, chain: Any) -> None:
    intent = anchorer.next_intent(SETTLEMENT)
    assert chain.chain_id != FORK_CHAIN_ID
    with ape.reverts(NOT_CUSTODY):
        anchorer.submit(intent, anchorer.sign(intent, chain_id=FORK_CHAIN_ID))


def test_a_signature_by_another_key_is_refused(anchorer: Anchorer) -> None:
    intent = anchorer.next_intent(SETTLEMENT)
    with ape.reverts(NOT_CUSTODY):
        anchorer.submit(intent, anchorer.sign(intent, key=fixed_key(1)))


@pytest.mark.parametrize("flip", [1, 1 << 31])
def test_a_wrong_key_hint_is_refused(anchorer: Anchorer, flip: int) -> None:
    """The hint completes the key the contract verifies with: any other value names a key nobody signs for."""
    intent = anchorer.next_intent(SETTLEMENT)
    hint = key_hint(anchorer.contract.custody_key()[0])
    with ape.reverts(NOT_CUSTODY):
        anchorer.submit(intent, hint=hint ^ flip)
    anchorer.submit(intent, hint=hint)


def test_another_keys_signature_with_its_own_hint_is_refused(anchorer: Anchorer) -> None:
    """Only the top bits come from storage; a key that shares none of them gets nowhere with its hint."""
    other = fixed_key(1)
    intent = anchorer.next_intent(SETTLEMENT)
    with ape.reverts(NOT_CUSTODY):
        anchorer.submit(intent, anchorer.sign(intent, key=other), hint=key_hint(other[1].group_public_key.x))


def test_a_tampered_signature_is_refused(anchorer: Anchorer) -> None:
    intent = anchorer.next_intent(SETTLEMENT)
    rx, ry, z = anchorer.sign(intent)
    with ape.reverts(NOT_CUSTODY):
        anchorer.submit(intent, (rx, ry, z ^ 1))
    with ape.reverts("schnorr: z is not in [1, n)"):
        anchorer.submit(intent, (rx, ry, 0))
    with ape.reverts("schnorr: R is not on the curve"):
        anchorer.submit(intent, (rx, ry ^ 1, z))


# Inclusion proofs


def test_every_leaf_of_an_anchored_tree_verifies(anchorer: Anchorer) -> None:
    values = [(SETTLEMENT, 1, index) for index in range(13)]
    tree = MerkleTree.of(TRADE_LEAF_TYPES, values)
    anchorer.anchor_next(SETTLEMENT, tree)
    contract = anchorer.contract
    for index, value in enumerate(values):
        leaf = leaf_hash(TRADE_LEAF_TYPES, value)
        assert contract.verify(SETTLEMENT, 1, leaf, tree.proof(index)), index


def test_proofs_fail_for_other_leaves_seqs_kinds_and_roots(anchorer: Anchorer) -> None:
    tree = batch_tree(SETTLEMENT, 1, size=6)
    anchorer.anchor_next(SETTLEMENT, tree)
    anchorer.anchor_next(SETTLEMENT)
    contract = anchorer.contract
    leaf, proof = tree.leaves[2], tree.proof(2)
    assert contract.verify(SETTLEMENT, 1, leaf, proof)
    assert not contract.verify(SETTLEMENT, 1, other_root(b"leaf"), proof)
    assert not contract.verify(SETTLEMENT, 1, leaf, proof[:-1])
    assert not contract.verify(SETTLEMENT, 1, leaf, [*proof[:-1], other_root(b"sibling")])
    assert not contract.verify(SETTLEMENT, 2, leaf, proof)
    assert not contract.verify(SETTLEMENT, 3, leaf, proof)
    assert not contract.verify(RESERVES, 1, leaf, proof)
    assert not contract.is_anchored_root(SETTLEMENT, 1, other_root(b"root"))
    assert not contract.is_anchored_root(SETTLEMENT, 0, ZERO_ROOT)


def test_a_single_leaf_batch_verifies_with_an_empty_proof(anchorer: Anchorer) -> None:
    tree = batch_tree(SETTLEMENT, 1, size=1)
    anchorer.anchor_next(SETTLEMENT, tree)
    assert anchorer.contract.verify(SETTLEMENT, 1, tree.leaves[0], [])
    assert tree.root == leaf_node(tree.leaves[0])
    assert not anchorer.contract.verify(SETTLEMENT, 1, tree.root, [])


def test_the_root_or_an_internal_node_is_no_leaf(anchorer: Anchorer) -> None:
    """The contract hashes the leaf it is given; with bare leaf hashes the root passed with an empty proof,
    and any internal node with the siblings above it."""
    tree = batch_tree(SETTLEMENT, 1, size=6)
    anchorer.anchor_next(SETTLEMENT, tree)
    contract = anchorer.contract
    assert not contract.verify(SETTLEMENT, 1, tree.root, [])
    for node, proof in internal_node_proofs(tree):
        assert not contract.verify(SETTLEMENT, 1, node, proof)
    assert not contract.verify(SETTLEMENT, 1, leaf_node(tree.leaves[0]), tree.proof(0))
    assert contract.verify(SETTLEMENT, 1, tree.leaves[0], tree.proof(0))


def test_an_empty_proof_needs_a_batch_of_one_leaf(anchorer: Anchorer) -> None:
    """A root signed with count > 1 takes no empty proof, even if it is a leaf's node (a malformed batch)."""
    leaf = leaf_hash(TRADE_LEAF_TYPES, (SETTLEMENT, 1, 0))
    single = MerkleTree([leaf])
    claimed = dataclasses.replace(anchorer.next_intent(SETTLEMENT, single), count=2)
    anchorer.submit(claimed)
    anchorer.anchor_next(RESERVES, single)
    contract = anchorer.contract
    assert not contract.verify(SETTLEMENT, 1, leaf, [])
    assert contract.verify(RESERVES, 1, leaf, [])
    two = MerkleTree([leaf, leaf_hash(TRADE_LEAF_TYPES, (SETTLEMENT, 1, 1))])
    anchorer.anchor_next(SETTLEMENT, two)
    assert contract.verify(SETTLEMENT, 2, leaf, two.proof(0))
