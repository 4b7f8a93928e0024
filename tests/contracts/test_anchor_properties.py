"""SettlementAnchor.vy under random walks of anchors, voids and waiting, against a model of the chains.

The model is the rule book in a few lines: seqs run 1, 2, 3, ... per kind and are never reused; each anchor
names the root of the last valid anchor; a void takes an anchor and every later one of its kind, inside the
anchor's window only; deadlines never decrease; an anchor is final once past its deadline unless voided.
After every step the contract's head must match the model's; at the end every seq's state and every recorded
prevRoot must too.
"""

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import ape
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain.anchor import ZERO_ROOT
from chain.intents import Anchor
from tests.helpers.anchor import ANCHOR_WINDOW, Anchorer, batch_tree, other_root

pytestmark = pytest.mark.chain

KINDS = (1, 2)


@dataclass
class Entry:
    """One anchor in the model."""

    root: bytes
    prev_root: bytes
    deadline: int
    voided: bool = False


@dataclass
class Model:
    """The chains as the rules say they must be."""

    chains: dict[int, list[Entry]] = field(default_factory=lambda: {kind: [] for kind in KINDS})

    def head(self, kind: int) -> tuple[int, int]:
        entries = self.chains[kind]
        valid = [seq for seq, entry in enumerate(entries, start=1) if not entry.voided]
        return len(entries), valid[-1] if valid else 0

    def valid_root(self, kind: int) -> bytes:
        _, valid_seq = self.head(kind)
        return ZERO_ROOT if valid_seq == 0 else self.chains[kind][valid_seq - 1].root

    def anchored(self, kind: int, root: bytes, timestamp: int) -> None:
        entries = self.chains[kind]
        floor = entries[-1].deadline if entries else 0
        entries.append(Entry(root, self.valid_root(kind), max(timestamp + ANCHOR_WINDOW, floor)))

    def voidable(self, kind: int, seq: int, now: int) -> bool:
        entry = self.chains[kind][seq - 1]
        return not entry.voided and now < entry.deadline

    def void(self, kind: int, seq: int) -> None:
        for entry in self.chains[kind][seq - 1 :]:
            entry.voided = True


steps = st.lists(
    st.one_of(
        st.tuples(st.just("anchor"), st.sampled_from(KINDS)),
        st.tuples(st.just("void"), st.sampled_from(KINDS), st.integers(0, 5)),
        st.tuples(st.just("stale"), st.sampled_from(KINDS)),
        st.tuples(st.just("wait"), st.integers(1, 2 * ANCHOR_WINDOW)),
    ),
    min_size=1,
    max_size=6,
)


def next_intent(model: Model, kind: int, salt: int = 0) -> Anchor:
    """The anchor that extends `kind`'s chain by the model's rules."""
    seq = len(model.chains[kind]) + 1
    tree = batch_tree(kind, seq, salt=salt)
    return Anchor(
        kind=kind, seq=seq, root=tree.root, count=len(tree), total=0, prev_root=model.valid_root(kind)
    )


def anchor(anchorer: Anchorer, model: Model, kind: int) -> None:
    """The next anchor by the model's rules is accepted, and the contract records the prevRoot it names."""
    intent = next_intent(model, kind)
    receipt = anchorer.submit(intent)
    assert receipt.events[0].prev_root == model.valid_root(kind)
    model.anchored(kind, intent.root, receipt.timestamp)


def void(anchorer: Anchorer, model: Model, owner: Any, chain: Any, kind: int, pick: int) -> None:
    """A void is accepted exactly when the model says the seq stands inside its window."""
    last_seq, _ = model.head(kind)
    if last_seq == 0:
        return
    seq = pick % last_seq + 1
    # pinned: the pending time otherwise follows the wall clock, which may tick before the void is mined
    now = max(chain.pending_timestamp, chain.blocks.head.timestamp + 1)
    chain.pending_timestamp = now
    if model.voidable(kind, seq, now):
        anchorer.contract.void(kind, seq, sender=owner)
        model.void(kind, seq)
        return
    voided = model.chains[kind][seq - 1].voided
    with ape.reverts("anchor: seq is already voided" if voided else "anchor: challenge window is over"):
        anchorer.contract.void(kind, seq, sender=owner)


def stale(anchorer: Anchorer, model: Model, kind: int) -> None:
    """A signed anchor that does not extend the valid chain is refused: a taken seq or another prevRoot."""
    last_seq, _ = model.head(kind)
    intent = next_intent(model, kind, salt=1)
    if last_seq:
        with ape.reverts("anchor: seq is already anchored"):
            anchorer.submit(dataclasses.replace(intent, seq=last_seq))
    wrong_prev = (
        model.chains[kind][-1].root if last_seq and model.chains[kind][-1].voided else other_root(b"x")
    )
    with ape.reverts("anchor: prevRoot is not the root of the last valid anchor"):
        anchorer.submit(dataclasses.replace(intent, prev_root=wrong_prev))


@given(steps=steps)
def test_random_anchors_and_voids_keep_the_chains_consistent(
    anchorer: Anchorer, anchor_owner: Any, chain: Any, steps: list[tuple[Any, ...]]
) -> None:
    snapshot = chain.snapshot()  # each example starts from the fresh deployment
    try:
        anchorer.roots.clear()
        model = Model()
        contract = anchorer.contract
        for step in steps:
            if step[0] == "anchor":
                anchor(anchorer, model, step[1])
            elif step[0] == "void":
                void(anchorer, model, anchor_owner, chain, step[1], step[2])
            elif step[0] == "stale":
                stale(anchorer, model, step[1])
            else:
                chain.mine(deltatime=step[1])
                continue
            assert contract.head(step[1]) == model.head(step[1])

        now = chain.blocks.head.timestamp
        for kind in KINDS:
            assert contract.head(kind) == model.head(kind)
            for seq, entry in enumerate(model.chains[kind], start=1):
                _, deadline, voided = contract.record(kind, seq)
                assert (deadline, voided) == (entry.deadline, entry.voided)
                assert contract.is_final(kind, seq) == (not entry.voided and now >= entry.deadline)
    finally:
        chain.restore(snapshot)
