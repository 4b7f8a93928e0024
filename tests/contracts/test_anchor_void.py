"""SettlementAnchor.vy over time: the challenge window, voids and resuming after them, finality."""

import dataclasses
from typing import Any

import ape
import pytest

from chain.anchor import ZERO_ROOT
from tests.helpers.anchor import (
    ANCHOR_WINDOW,
    Anchorer,
    batch_tree,
    deadline_of,
    fingerprint,
    travel_to,
)

pytestmark = pytest.mark.chain

SETTLEMENT, RESERVES = 1, 2
WINDOW_OVER = "anchor: challenge window is over"
BAD_PREV_ROOT = "anchor: prevRoot is not the root of the last valid anchor"


def anchor_several(anchorer: Anchorer, count: int, kind: int = SETTLEMENT) -> list[Any]:
    return [anchorer.anchor_next(kind) for _ in range(count)]


def test_the_owner_voids_inside_the_window(anchorer: Anchorer, anchor_owner: Any) -> None:
    intents = anchor_several(anchorer, 2)
    contract = anchorer.contract
    receipt = contract.void(SETTLEMENT, 2, sender=anchor_owner)
    assert receipt.events == [contract.Voided(kind=SETTLEMENT, first_seq=2, last_seq=2, resume_seq=1)]
    assert contract.is_voided(SETTLEMENT, 2)
    assert not contract.is_voided(SETTLEMENT, 1)
    assert contract.head(SETTLEMENT) == (2, 1)
    assert not contract.is_anchored_root(SETTLEMENT, 2, intents[1].root)
    assert contract.is_anchored_root(SETTLEMENT, 1, intents[0].root)
    assert contract.record(SETTLEMENT, 2)[2] is True


def test_a_void_reaches_every_later_anchor_of_the_kind_only(anchorer: Anchorer, anchor_owner: Any) -> None:
    anchor_several(anchorer, 4)
    anchor_several(anchorer, 2, RESERVES)
    contract = anchorer.contract
    receipt = contract.void(SETTLEMENT, 2, sender=anchor_owner)
    assert receipt.events == [contract.Voided(kind=SETTLEMENT, first_seq=2, last_seq=4, resume_seq=1)]
    assert [contract.is_voided(SETTLEMENT, seq) for seq in range(1, 6)] == [False, True, True, True, False]
    assert contract.head(SETTLEMENT) == (4, 1)
    assert contract.head(RESERVES) == (2, 2)
    assert not contract.is_voided(RESERVES, 2)


def test_after_a_void_the_next_anchor_takes_a_new_seq_and_the_last_valid_root(
    anchorer: Anchorer, anchor_owner: Any
) -> None:
    first, second, third = anchor_several(anchorer, 3)
    anchorer.contract.void(SETTLEMENT, 2, sender=anchor_owner)
    # the voided anchors' signatures cannot come back: their seqs are taken
    with ape.reverts("anchor: seq is already anchored"):
        anchorer.submit(second)
    # nor can the chain go on from a voided root
    going_on = anchorer.next_intent(SETTLEMENT)
    assert (going_on.seq, going_on.prev_root) == (4, first.root)
    with ape.reverts(BAD_PREV_ROOT):
        anchorer.submit(dataclasses.replace(going_on, prev_root=third.root))
    with ape.reverts("anchor: seq is not the next of its kind"):
        anchorer.submit(dataclasses.replace(going_on, seq=5))
    receipt = anchorer.submit(going_on)
    assert receipt.events[0].prev_root == first.root
    assert anchorer.contract.head(SETTLEMENT) == (4, 4)
    assert anchorer.anchor_next(SETTLEMENT).prev_root == going_on.root


def test_voiding_the_whole_chain_resumes_from_the_zero_root(anchorer: Anchorer, anchor_owner: Any) -> None:
    anchor_several(anchorer, 2)
    receipt = anchorer.contract.void(SETTLEMENT, 1, sender=anchor_owner)
    assert receipt.events[0].resume_seq == 0
    assert anchorer.contract.head(SETTLEMENT) == (2, 0)
    intent = anchorer.next_intent(SETTLEMENT)
    assert (intent.seq, intent.prev_root) == (3, ZERO_ROOT)
    # a root whose fingerprint is zero but which is not exactly zero is refused as prevRoot
    with ape.reverts(BAD_PREV_ROOT):
        anchorer.submit(dataclasses.replace(intent, prev_root=(1).to_bytes(32, "big")))
    anchorer.submit(intent)
    assert anchorer.contract.head(SETTLEMENT) == (3, 3)


def test_adjacent_voids_merge_and_resume_before_the_first(anchorer: Anchorer, anchor_owner: Any) -> None:
    first, *_ = anchor_several(anchorer, 3)
    contract = anchorer.contract
    contract.void(SETTLEMENT, 2, sender=anchor_owner)
    resumed = anchorer.anchor_next(SETTLEMENT)
    assert (resumed.seq, resumed.prev_root) == (4, first.root)
    receipt = contract.void(SETTLEMENT, 4, sender=anchor_owner)
    assert receipt.events == [contract.Voided(kind=SETTLEMENT, first_seq=4, last_seq=4, resume_seq=1)]
    assert contract.head(SETTLEMENT) == (4, 1)
    assert [contract.is_voided(SETTLEMENT, seq) for seq in range(1, 5)] == [False, True, True, True]
    assert anchorer.anchor_next(SETTLEMENT).prev_root == first.root


def test_an_earlier_void_takes_in_later_ones(anchorer: Anchorer, anchor_owner: Any) -> None:
    first, *_ = anchor_several(anchorer, 5)
    contract = anchorer.contract
    contract.void(SETTLEMENT, 4, sender=anchor_owner)
    anchorer.anchor_next(SETTLEMENT)  # seq 6, after root 3
    contract.void(SETTLEMENT, 2, sender=anchor_owner)
    assert contract.head(SETTLEMENT) == (6, 1)
    assert [contract.is_voided(SETTLEMENT, seq) for seq in range(1, 8)] == [False] + [True] * 5 + [False]
    assert anchorer.anchor_next(SETTLEMENT).prev_root == first.root
    second = batch_tree(SETTLEMENT, 2)
    assert not contract.verify(SETTLEMENT, 2, second.leaves[0], second.proof(0))


def test_a_voided_anchor_proves_nothing(anchorer: Anchorer, anchor_owner: Any) -> None:
    tree = batch_tree(SETTLEMENT, 1)
    intent = anchorer.anchor_next(SETTLEMENT, tree)
    leaf, proof = tree.leaves[1], tree.proof(1)
    assert anchorer.contract.verify(SETTLEMENT, 1, leaf, proof)
    anchorer.contract.void(SETTLEMENT, 1, sender=anchor_owner)
    assert not anchorer.contract.verify(SETTLEMENT, 1, leaf, proof)
    assert not anchorer.contract.is_anchored_root(SETTLEMENT, 1, intent.root)


def test_verify_final_waits_for_the_deadline_and_refuses_voided_anchors(
    anchorer: Anchorer, anchor_owner: Any, chain: Any
) -> None:
    """`verify` answers for an anchor the owner may still void; `verify_final` only once nobody can."""
    trees = [batch_tree(SETTLEMENT, seq) for seq in (1, 2)]
    for tree in trees:
        anchorer.anchor_next(SETTLEMENT, tree)
    contract = anchorer.contract
    proofs = [(tree.leaves[3], tree.proof(3)) for tree in trees]
    assert contract.verify(SETTLEMENT, 1, *proofs[0])
    assert not contract.verify_final(SETTLEMENT, 1, *proofs[0])
    travel_to(chain, deadline_of(contract, SETTLEMENT, 1) - 1)
    assert not contract.verify_final(SETTLEMENT, 1, *proofs[0])
    contract.void(SETTLEMENT, 2, sender=anchor_owner)
    travel_to(chain, deadline_of(contract, SETTLEMENT, 2))
    assert contract.verify_final(SETTLEMENT, 1, *proofs[0])
    assert not contract.verify_final(SETTLEMENT, 1, trees[0].leaves[2], proofs[0][1])  # another leaf's proof
    assert not contract.verify_final(SETTLEMENT, 2, *proofs[1])  # voided: never final
    assert not contract.verify(SETTLEMENT, 2, *proofs[1])
    assert not contract.verify_final(SETTLEMENT, 3, *proofs[1])  # nothing anchored


def test_a_void_needs_an_anchored_standing_seq(anchorer: Anchorer, anchor_owner: Any) -> None:
    anchor_several(anchorer, 2)
    contract = anchorer.contract
    for seq in (0, 3):
        with ape.reverts("anchor: nothing is anchored at this seq"):
            contract.void(SETTLEMENT, seq, sender=anchor_owner)
    with ape.reverts("anchor: nothing is anchored at this seq"):
        contract.void(RESERVES, 1, sender=anchor_owner)
    contract.void(SETTLEMENT, 1, sender=anchor_owner)
    for seq in (1, 2):
        with ape.reverts("anchor: seq is already voided"):
            contract.void(SETTLEMENT, seq, sender=anchor_owner)


def test_the_window_closes_at_the_deadline(anchorer: Anchorer, anchor_owner: Any, chain: Any) -> None:
    anchor_several(anchorer, 1)
    contract = anchorer.contract
    chain.pending_timestamp = deadline_of(contract, SETTLEMENT, 1)
    with ape.reverts(WINDOW_OVER):
        contract.void(SETTLEMENT, 1, sender=anchor_owner)
    assert not contract.is_voided(SETTLEMENT, 1)


def test_a_void_one_second_before_the_deadline_is_in_time(
    anchorer: Anchorer, anchor_owner: Any, chain: Any
) -> None:
    anchor_several(anchorer, 1)
    chain.pending_timestamp = deadline_of(anchorer.contract, SETTLEMENT, 1) - 1
    anchorer.contract.void(SETTLEMENT, 1, sender=anchor_owner)
    assert anchorer.contract.is_voided(SETTLEMENT, 1)


def test_is_final_once_the_window_is_over(anchorer: Anchorer, chain: Any) -> None:
    anchor_several(anchorer, 2)
    contract = anchorer.contract
    first_deadline = deadline_of(contract, SETTLEMENT, 1)
    assert first_deadline == contract.record(SETTLEMENT, 1)[1]
    assert not contract.is_final(SETTLEMENT, 1)
    travel_to(chain, first_deadline - 1)
    assert not contract.is_final(SETTLEMENT, 1)
    travel_to(chain, first_deadline)
    assert contract.is_final(SETTLEMENT, 1)
    assert not contract.is_final(SETTLEMENT, 2)
    travel_to(chain, deadline_of(contract, SETTLEMENT, 2))
    assert contract.is_final(SETTLEMENT, 2)
    assert not contract.is_final(SETTLEMENT, 3)
    assert not contract.is_final(SETTLEMENT, 0)


def test_a_voided_anchor_never_becomes_final(anchorer: Anchorer, anchor_owner: Any, chain: Any) -> None:
    anchor_several(anchorer, 2)
    contract = anchorer.contract
    contract.void(SETTLEMENT, 2, sender=anchor_owner)
    travel_to(chain, deadline_of(contract, SETTLEMENT, 2) + 10 * ANCHOR_WINDOW)
    assert contract.is_final(SETTLEMENT, 1)
    assert not contract.is_final(SETTLEMENT, 2)


def test_a_shorter_window_never_makes_a_later_anchor_final_first(
    anchorer: Anchorer, anchor_owner: Any, chain: Any
) -> None:
    """Deadlines never decrease along a chain: a void that reaches later anchors never reaches a final one."""
    anchor_several(anchorer, 1)
    contract = anchorer.contract
    contract.set_challenge_window(60, sender=anchor_owner)
    receipt = anchorer.submit(anchorer.next_intent(SETTLEMENT))
    assert deadline_of(contract, SETTLEMENT, 2) == deadline_of(contract, SETTLEMENT, 1)
    assert deadline_of(contract, SETTLEMENT, 2) > receipt.timestamp + 60
    travel_to(chain, receipt.timestamp + 61)
    assert not contract.is_final(SETTLEMENT, 2)
    contract.void(SETTLEMENT, 1, sender=anchor_owner)
    assert contract.is_voided(SETTLEMENT, 2)
    # once the longer deadline has passed, new anchors get the short window
    travel_to(chain, deadline_of(contract, SETTLEMENT, 2))
    receipt = anchorer.submit(anchorer.next_intent(SETTLEMENT))
    assert deadline_of(contract, SETTLEMENT, 3) == receipt.timestamp + 60


def test_a_zero_window_makes_anchors_final_at_once(anchorer: Anchorer, anchor_owner: Any) -> None:
    contract = anchorer.contract
    contract.set_challenge_window(0, sender=anchor_owner)
    receipt = anchorer.submit(anchorer.next_intent(SETTLEMENT))
    assert deadline_of(contract, SETTLEMENT, 1) == receipt.timestamp
    assert contract.is_final(SETTLEMENT, 1)
    with ape.reverts(WINDOW_OVER):
        contract.void(SETTLEMENT, 1, sender=anchor_owner)


def test_the_record_of_a_voided_last_anchor_holds_the_resume_fingerprint(
    anchorer: Anchorer, anchor_owner: Any
) -> None:
    """The next anchor checks its prevRoot against the last record alone: a void gives it the resume root."""
    first, _second = anchor_several(anchorer, 2)
    anchorer.contract.void(SETTLEMENT, 2, sender=anchor_owner)
    fingerprint_of_last, _, voided = anchorer.contract.record(SETTLEMENT, 2)
    assert (fingerprint_of_last, voided) == (fingerprint(first.root), True)
