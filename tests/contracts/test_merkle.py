"""The Vyper merkle module accepts exactly the proofs `chain/merkle.py` makes, and nothing tampered."""

from typing import Any

import ape
import pytest
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from chain.merkle import MerkleTree, leaf_hash, process_proof

pytestmark = pytest.mark.chain

MAX_PROOF_DEPTH = 32  # contracts/modules/merkle.vy

hashes = st.binary(min_size=32, max_size=32)


@pytest.fixture(scope="module")
def merkle_harness(project: Any, accounts: Any) -> Any:
    return accounts[0].deploy(project.MerkleHarness)


def test_openzeppelin_readme_proof_verifies_on_chain(merkle_harness: Any) -> None:
    types = ["address", "uint256"]
    values = [
        ("0x1111111111111111111111111111111111111111", 5000000000000000000),
        ("0x2222222222222222222222222222222222222222", 2500000000000000000),
    ]
    tree = MerkleTree.of(types, values)
    root = bytes.fromhex("d4dee0beab2d53f2cc83e567171bd2820e49898130a22622b10ead383e90bd77")
    assert tree.root == root
    assert merkle_harness.verify(tree.proof(0), root, leaf_hash(types, values[0]))
    assert merkle_harness.verify(tree.proof(1), root, leaf_hash(types, values[1]))


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
