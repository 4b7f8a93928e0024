"""chain.anchor against a SettlementAnchor on plain web3 (py-evm): intents, submission, reads, proofs.

This is the path the settlement job and the API take (no Ape): build the next intent from the contract's
head, have the custody key sign its digest, submit it from a relayer key held in Python, then read and verify.
Each chain gets its own relayer key: `chain.transactions` remembers nonces per sender, across chains.
"""

import dataclasses
import itertools
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester
from eth_tester.exceptions import TransactionFailed as EthTesterRevert
from eth_utils import keccak
from hypothesis import given

from chain import artifacts
from chain.anchor import (
    ZERO_ROOT,
    AnchorError,
    AnchorKind,
    Head,
    SettlementAnchor,
    anchor_arguments,
    batch_intent,
)
from chain.intents import Anchor
from chain.merkle import MerkleSumTree, MerkleTree, SumNode, leaf_hash
from chain.transactions import TransactionFailed
from tests.chain.test_intents import anchors
from tests.helpers.frost_signing import Key, fixed_key, sign_with_key
from tests.helpers.py_evm import fresh_chain

pytestmark = pytest.mark.chain

WINDOW = 600
TRADE_TYPES = ("uint64", "uint256")
RELAYER_NUMBERS = itertools.count()


@dataclasses.dataclass
class Deployed:
    """A SettlementAnchor on its own py-evm chain, with its owner, a funded relayer and the custody key."""

    tester: EthereumTester
    anchor: SettlementAnchor
    owner: str
    relayer: LocalAccount
    key: Key

    def sign(self, intent: Anchor) -> tuple[int, int, int]:
        return sign_with_key(self.key, self.anchor.digest(intent)).onchain()

    def anchor_tree(self, kind: int, tree: MerkleTree | MerkleSumTree, **kwargs: Any) -> Anchor:
        intent = self.anchor.next_intent(kind, tree, **kwargs)
        receipt = self.anchor.submit(self.relayer, intent, self.sign(intent))
        assert receipt["status"] == 1
        return intent

    def owner_void(self, kind: int, seq: int) -> None:
        tx_hash = self.anchor.contract.functions.void(kind, seq).transact({"from": self.owner})
        assert self.anchor.w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 1


def deploy() -> Deployed:
    """A fresh chain with a SettlementAnchor on it (the build manifest must exist)."""
    tester, w3, owner, relayer = fresh_chain(f"tpwallet anchor test relayer {next(RELAYER_NUMBERS)}")
    key = fixed_key(31337)
    x, y = key[1].group_public_key.coordinates()
    address, receipt = artifacts.deploy(w3, "SettlementAnchor", owner, x, y, WINDOW, sender=owner)
    anchor = SettlementAnchor(w3, address, from_block=receipt["blockNumber"])
    return Deployed(tester, anchor, owner, relayer, key)


@pytest.fixture
def deployed(compiled_manifest: Any) -> Deployed:
    return deploy()


@pytest.fixture(scope="module")
def digest_only(compiled_manifest: Any) -> Deployed:
    """A deployment hypothesis examples only ask for digests (its state never changes)."""
    return deploy()


def trades(batch: int, size: int) -> MerkleTree:
    return MerkleTree.of(TRADE_TYPES, [(batch, index) for index in range(size)])


def balances(size: int) -> list[tuple[bytes, int]]:
    return [(keccak(text=f"holder {index}"), 1_000 * (index + 1)) for index in range(size)]


# Building intents


def test_a_new_kind_starts_at_seq_1_after_the_zero_root(deployed: Deployed) -> None:
    head = deployed.anchor.head(AnchorKind.SETTLEMENT)
    assert head == Head(kind=AnchorKind.SETTLEMENT, last_seq=0, valid_seq=0, valid_root=ZERO_ROOT)
    assert head.next_seq == 1


def test_a_plain_tree_becomes_an_intent() -> None:
    head = Head(kind=1, last_seq=4, valid_seq=3, valid_root=b"\x07" * 32)
    tree = trades(5, 9)
    intent = batch_intent(head, tree)
    assert intent == Anchor(kind=1, seq=5, root=tree.root, count=9, total=0, prev_root=b"\x07" * 32)
    assert batch_intent(head, tree, total=123).total == 123


def test_a_sum_tree_anchors_its_total() -> None:
    head = Head(kind=AnchorKind.RESERVES, last_seq=0, valid_seq=0, valid_root=ZERO_ROOT)
    tree = MerkleSumTree(balances(6))
    intent = batch_intent(head, tree)
    assert (intent.root, intent.count, intent.total) == (tree.root.hash, 6, 21_000)
    assert batch_intent(head, tree, total=21_000) == intent
    with pytest.raises(AnchorError, match="total is its sum 21000, not 20000"):
        batch_intent(head, tree, total=20_000)


def test_call_arguments_are_the_fields_then_the_signature() -> None:
    intent = Anchor(kind=2, seq=3, root=b"\x01" * 32, count=4, total=5, prev_root=b"\x02" * 32)
    assert anchor_arguments(intent, (6, 7, 8)) == (2, 3, b"\x01" * 32, 4, 5, b"\x02" * 32, 6, 7, 8)
    with pytest.raises(AnchorError, match="three ints"):
        anchor_arguments(intent, (6, 7))  # type: ignore[arg-type]


@given(intent=anchors)
def test_the_python_digest_is_the_contracts(digest_only: Deployed, intent: Anchor) -> None:
    assert digest_only.anchor.digest(intent) == digest_only.anchor.onchain_digest(intent)


# Submitting and reading back


def test_anchoring_a_batch_then_verifying_every_trade(deployed: Deployed) -> None:
    kind = AnchorKind.SETTLEMENT
    tree = trades(1, 11)
    intent = deployed.anchor_tree(kind, tree)
    batch = deployed.anchor.anchored(kind, 1)
    assert (batch.seq, batch.root, batch.count, batch.total, batch.prev_root) == (
        1,
        tree.root,
        11,
        0,
        ZERO_ROOT,
    )
    assert batch.tx_hash.startswith("0x")
    assert deployed.anchor.head(kind) == Head(kind=kind, last_seq=1, valid_seq=1, valid_root=intent.root)
    for index in range(len(tree)):
        leaf = leaf_hash(TRADE_TYPES, (1, index))
        assert deployed.anchor.verify(kind, 1, leaf, tree.proof(index))
    assert not deployed.anchor.verify(kind, 1, leaf_hash(TRADE_TYPES, (1, 11)), tree.proof(0))
    following = deployed.anchor_tree(kind, trades(2, 3))
    assert (following.seq, following.prev_root) == (2, tree.root)


def test_a_refused_anchor_raises_with_the_contracts_reason(deployed: Deployed) -> None:
    """On a real node `send_call` raises `TransactionFailed`; eth-tester raises its own error from the same
    gas estimate. Either way nothing is broadcast and the contract's reason comes through."""
    refused = (TransactionFailed, EthTesterRevert)
    intent = deployed.anchor.next_intent(AnchorKind.SETTLEMENT, trades(1, 2))
    rx, ry, z = deployed.sign(intent)
    with pytest.raises(refused, match="anchor: signature is not the custody key's"):
        deployed.anchor.submit(deployed.relayer, intent, (rx, ry, z ^ 1))
    stale = dataclasses.replace(intent, prev_root=b"\x05" * 32)
    with pytest.raises(refused, match="anchor: prevRoot is not the root of the last valid anchor"):
        deployed.anchor.submit(deployed.relayer, stale, deployed.sign(stale))
    assert deployed.anchor.w3.eth.get_transaction_count(deployed.relayer.address) == 0


def test_an_unanchored_seq_has_no_event(deployed: Deployed) -> None:
    with pytest.raises(AnchorError, match="no Anchored event for kind 1 seq 1"):
        deployed.anchor.anchored(AnchorKind.SETTLEMENT, 1)


def test_after_a_void_the_next_intent_resumes_from_the_last_valid_root(deployed: Deployed) -> None:
    kind = AnchorKind.SETTLEMENT
    first = deployed.anchor_tree(kind, trades(1, 4))
    second = deployed.anchor_tree(kind, trades(2, 4))
    deployed.owner_void(kind, 2)
    assert deployed.anchor.is_voided(kind, 2)
    assert not deployed.anchor.verify(kind, 2, leaf_hash(TRADE_TYPES, (2, 0)), trades(2, 4).proof(0))
    assert deployed.anchor.head(kind) == Head(kind=kind, last_seq=2, valid_seq=1, valid_root=first.root)
    resumed = deployed.anchor_tree(kind, trades(3, 4))
    assert (resumed.seq, resumed.prev_root) == (3, first.root)
    assert deployed.anchor.anchored(kind, 2).root == second.root


def test_finality_comes_with_the_end_of_the_window(deployed: Deployed) -> None:
    kind = AnchorKind.SETTLEMENT
    deployed.anchor_tree(kind, trades(1, 2))
    _, deadline, _ = deployed.anchor.contract.functions.record(kind, 1).call()
    assert not deployed.anchor.is_final(kind, 1)
    deployed.tester.time_travel(deadline - 1)
    deployed.tester.mine_blocks()
    assert not deployed.anchor.is_final(kind, 1)
    deployed.tester.mine_blocks()
    assert deployed.anchor.is_final(kind, 1)


# Proof of reserves


def test_every_holder_can_check_their_balance_against_the_anchored_reserves(deployed: Deployed) -> None:
    kind = AnchorKind.RESERVES
    entries = balances(7)
    tree = MerkleSumTree(entries)
    intent = deployed.anchor_tree(kind, tree)
    assert deployed.anchor.anchored(kind, 1).total == intent.total == sum(amount for _, amount in entries)
    for index, (account, amount) in enumerate(entries):
        assert deployed.anchor.verify_reserve(kind, 1, account, amount, tree.proof(index))


def test_a_shrunk_balance_or_a_wrong_snapshot_fails_the_reserve_check(deployed: Deployed) -> None:
    kind = AnchorKind.RESERVES
    entries = balances(5)
    tree = MerkleSumTree(entries)
    deployed.anchor_tree(kind, tree)
    deployed.anchor_tree(kind, MerkleSumTree(balances(6)))
    account, amount = entries[2]
    assert not deployed.anchor.verify_reserve(kind, 1, account, amount - 1, tree.proof(2))
    assert not deployed.anchor.verify_reserve(kind, 2, account, amount, tree.proof(2))
    overflowing = [SumNode(tree.proof(2)[0].hash, 2**256 - 1)]
    assert not deployed.anchor.verify_reserve(kind, 1, account, amount, overflowing)
    assert not deployed.anchor.verify_reserve(kind, 1, account, 2**256, tree.proof(2))
    assert deployed.anchor.verify_reserve(kind, 1, account, amount, tree.proof(2))
    assert not deployed.anchor.verify_reserve(kind, 1, account, amount, tree.proof(2), final=True)
    deployed.owner_void(kind, 1)
    assert not deployed.anchor.verify_reserve(kind, 1, account, amount, tree.proof(2))


def test_a_reserve_proof_is_empty_exactly_for_a_one_entry_snapshot(deployed: Deployed) -> None:
    kind = AnchorKind.RESERVES
    (entry,) = balances(1)
    deployed.anchor_tree(kind, MerkleSumTree([entry]))
    assert deployed.anchor.verify_reserve(kind, 1, *entry, [])
    tree = MerkleSumTree(balances(3))
    deployed.anchor_tree(kind, tree)
    account, amount = balances(3)[0]
    # the root of a larger tree is no entry, and an empty proof of it is refused before any hashing
    assert not deployed.anchor.verify_reserve(kind, 2, account, amount, [])
    assert deployed.anchor.verify_reserve(kind, 2, account, amount, tree.proof(0))


def test_verify_final_waits_for_the_window(deployed: Deployed) -> None:
    kind = AnchorKind.SETTLEMENT
    tree = trades(1, 3)
    deployed.anchor_tree(kind, tree)
    leaf, proof = leaf_hash(TRADE_TYPES, (1, 1)), tree.proof(1)
    assert deployed.anchor.verify(kind, 1, leaf, proof)
    assert not deployed.anchor.verify_final(kind, 1, leaf, proof)
    _, deadline, _ = deployed.anchor.contract.functions.record(kind, 1).call()
    deployed.tester.time_travel(deadline)
    deployed.tester.mine_blocks()
    assert deployed.anchor.verify_final(kind, 1, leaf, proof)
