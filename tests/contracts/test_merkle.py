"""The Vyper merkle module accepts exactly the proofs `chain/merkle.py` makes, nothing tampered, and no
internal node (nor the root) presented as a leaf."""

from typing import Any

import ape
import pytest
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from chain.merkle import MerkleTree, leaf_hash, leaf_node, process_proof
from tests.chain.test_merkle import STRING_SORTED_ROOT, STRING_VALUES, internal_node_proofs

pytestmark = pytest.mark.chain

MAX_PROOF_DEPTH = 32  # contracts/modules/merkle.vy

hashes = st.binary(min_size=32, max_size=32)


@pytest.fixture(scope="module")
def merkle_harness(project: Any, accounts: Any) -> Any:
    return accounts[0].deploy(project.MerkleHarness)


def test_regression_tree_verifies_on_chain(merkle_harness: Any) -> None:
    tree = MerkleTree.of(["string"], STRING_VALUES)
    assert tree.root == STRING_SORTED_ROOT
    for index, value in enumerate(STRING_VALUES):
        assert merkle_harness.verify(tree.proof(index), STRING_SORTED_ROOT, leaf_hash(["string"], value))


@given(leaves=st.lists(hashes, min_size=2, max_size=16))
def test_no_internal_node_nor_the_root_passes_for_a_leaf_on_chain(
    merkle_harness: Any, leaves: list[bytes]
) -> None:
    """The module hashes the leaf it is given into its node: a node hash given as a leaf is another leaf."""
    tree = MerkleTree(leaves)
    assert not merkle_harness.verify([], tree.root, tree.root)
    for node, proof in internal_node_proofs(tree):
        assert not merkle_harness.verify(proof, tree.root, node)
    assert not merkle_harness.verify(tree.proof(0), tree.root, leaf_node(leaves[0]))
    assert merkle_harness.verify(tree.proof(0), tree.root, leaves[0])


@given(leaves=st.lists(hashes, min_size=1, max_size=64), data=st.data())
def test_python_proofs_verify_and_tampering_fails(
    merkle_harness: Any, leaves: list[bytes], data: st.DataObject
) -> None:
    tree = MerkleTree(leaves)
    index = data.draw(st.integers(0, len(leaves) - 1), label="index")
    leaf, proof = leaves[index], tree.proof(index)

    assert merkle_harness.process_proof(proof, leaf) == tree.root
    assert merkle_harness.verify(proof, tree.root, leaf)

    stranger = data.draw(hashes.filter(lambda candidate: candidate not in leaves), label="stranger")
    assert not merkle_harness.verify(proof, tree.root, stranger)
    other_root = MerkleTree([*leaves, stranger]).root
    assert not merkle_harness.verify(proof, other_root, leaf)
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1), label="position")
        byte = data.draw(st.integers(0, 31), label="byte")
        element = bytearray(proof[position])
        element[byte] ^= 0x80
        tampered = [*proof[:position], bytes(element), *proof[position + 1 :]]
        assert not merkle_harness.verify(tampered, tree.root, leaf)


def test_deepest_allowed_proof_verifies_and_a_deeper_one_reverts(merkle_harness: Any) -> None:
    leaf = keccak(b"leaf")
    proof = [keccak(i.to_bytes(32, "big")) for i in range(MAX_PROOF_DEPTH + 1)]
    deepest = proof[:MAX_PROOF_DEPTH]
    assert merkle_harness.verify(deepest, process_proof(leaf, deepest), leaf)
    with ape.reverts():
        merkle_harness.verify(proof, process_proof(leaf, proof), leaf)


def test_check_proof_logs_the_outcome(merkle_harness: Any, accounts: Any) -> None:
    tree = MerkleTree([keccak(bytes([i])) for i in range(7)])
    good = merkle_harness.check_proof(tree.proof(2), tree.root, tree.leaves[2], sender=accounts[1])
    bad = merkle_harness.check_proof(tree.proof(2), tree.root, tree.leaves[3], sender=accounts[1])
    assert good.return_value is True
    assert bad.return_value is False
    assert [(log.root, log.leaf, log.valid) for log in good.events] == [(tree.root, tree.leaves[2], True)]
    assert [(log.root, log.leaf, log.valid) for log in bad.events] == [(tree.root, tree.leaves[3], False)]
