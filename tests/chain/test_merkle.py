"""Merkle trees and proofs: the documented domain-separated hashing, a proof for every leaf, tampering that
fails, and no internal node (nor the root) passing for a leaf."""

import os

import pytest
from eth_abi import encode
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from chain.errors import MerkleError
from chain.merkle import (
    UINT256_LIMIT,
    MerkleSumTree,
    MerkleTree,
    SumNode,
    hash_pair,
    leaf_hash,
    leaf_node,
    process_proof,
    process_sum_proof,
    sum_leaf,
    sum_parent,
    verify,
    verify_sum,
)


def h(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


# Regression vectors of this scheme (leaf node keccak256(0x00 || leaf), internal node keccak256(0x01 || low ||
# high), OpenZeppelin's array layout): any other implementation (the Vyper module, a signer node recomputing a
# batch's root) must reach the same roots. Values "a".."f" as ["string"] records, sorted and in input order.
STRING_VALUES = [(letter,) for letter in "abcdef"]
STRING_SORTED_ROOT = h("0fc9573492edb002ae0580af6c4c636abaec46403248c5c2cf3ce84b78dbfaa4")
STRING_UNSORTED_ROOT = h("814f1c4a76ce13430b970fa83c01a8729c285e32a825c06687e6cb274090f9dd")
RESERVES = [(keccak(text="alice"), 70), (keccak(text="bob"), 30), (keccak(text="carol"), 5)]
RESERVES_ROOT = h("220d9cba7600f8db8e79daa503204dc56009690366e8b92623853371e31e9c42")

hashes = st.binary(min_size=32, max_size=32)
leaf_lists = st.lists(hashes, min_size=1, max_size=64)


def test_hashing_is_the_documented_domain_separated_one() -> None:
    low, high = b"\x00" * 31 + b"\x01", b"\x01" + b"\x00" * 31
    assert hash_pair(low, high) == hash_pair(high, low) == keccak(b"\x01" + low + high)
    assert leaf_node(low) == keccak(b"\x00" + low)
    record = ("0x1111111111111111111111111111111111111111", 5 * 10**18)
    assert leaf_hash(["address", "uint256"], record) == keccak(encode(["address", "uint256"], list(record)))
    with pytest.raises(MerkleError, match="2 types for 1 values"):
        leaf_hash(["address", "uint256"], ["0x1111111111111111111111111111111111111111"])


def test_a_four_leaf_tree_built_by_hand() -> None:
    leaves = [keccak(bytes([i])) for i in range(4)]
    tree = MerkleTree(leaves, sort_leaves=False)
    nodes = [keccak(b"\x00" + leaf) for leaf in leaves]
    # OpenZeppelin's array: [root, n1, n2, l3, l2, l1, l0] with l_i the node of input leaf i.
    assert tree.nodes[3:] == (nodes[3], nodes[2], nodes[1], nodes[0])
    n1, n2 = hash_pair(nodes[3], nodes[2]), hash_pair(nodes[1], nodes[0])
    assert tree.root == keccak(b"\x01" + min(n1, n2) + max(n1, n2))
    assert tree.proof(0) == [nodes[1], n1]
    assert tree.leaves == tuple(leaves)


def test_regression_roots() -> None:
    assert MerkleTree.of(["string"], STRING_VALUES).root == STRING_SORTED_ROOT
    assert MerkleTree.of(["string"], STRING_VALUES, sort_leaves=False).root == STRING_UNSORTED_ROOT
    assert MerkleSumTree(RESERVES).root == SumNode(RESERVES_ROOT, 105)


def internal_node_proofs(tree: MerkleTree) -> list[tuple[bytes, list[bytes]]]:
    """Every internal node of `tree` (the root included) with the siblings that lead from it to the root."""
    found = []
    for index in range(len(tree.nodes) - len(tree)):
        proof, position = [], index
        while position > 0:
            proof.append(tree.nodes[position + 1 if position % 2 == 1 else position - 1])
            position = (position - 1) // 2
        found.append((tree.nodes[index], proof))
    return found


@given(leaves=st.lists(hashes, min_size=2, max_size=32))
def test_no_internal_node_nor_the_root_passes_for_a_leaf(leaves: list[bytes]) -> None:
    """With bare leaf hashes, an internal node and the siblings above it made a valid "proof"."""
    tree = MerkleTree(leaves)
    assert not verify(tree.root, tree.root, [])
    for node, proof in internal_node_proofs(tree):
        assert not verify(tree.root, node, proof)
    for index in range(len(leaves)):  # a leaf's node is no leaf either
        assert not verify(tree.root, leaf_node(leaves[index]), tree.proof(index))


@given(leaves=leaf_lists, data=st.data())
def test_every_leaf_has_a_proof_that_verifies(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree(leaves)
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = tree.proof(index)
    assert process_proof(leaves[index], proof) == tree.root
    assert verify(tree.root, leaves[index], proof)
    # A complete binary tree of n leaves is at most ceil(log2 n) deep.
    assert len(proof) <= (len(leaves) - 1).bit_length()


@given(leaves=leaf_lists, data=st.data())
def test_a_wrong_leaf_or_a_tampered_proof_fails(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree(leaves)
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = tree.proof(index)
    stranger = data.draw(hashes.filter(lambda leaf: leaf not in leaves))
    assert not verify(tree.root, stranger, proof)
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        flipped = bytes([proof[position][0] ^ 0x01]) + proof[position][1:]
        tampered = [*proof[:position], flipped, *proof[position + 1 :]]
        assert not verify(tree.root, leaves[index], tampered)
        assert not verify(tree.root, leaves[index], proof[:-1])
    other_root = MerkleTree([*leaves, stranger]).root
    assert not verify(other_root, leaves[index], proof)


@given(leaves=st.lists(hashes, min_size=1, max_size=16, unique=True), seed=st.randoms())
def test_sorted_root_does_not_depend_on_input_order(leaves: list[bytes], seed) -> None:
    shuffled = list(leaves)
    seed.shuffle(shuffled)
    tree = MerkleTree(leaves)
    reordered = MerkleTree(shuffled)
    assert reordered.root == tree.root
    for index, leaf in enumerate(shuffled):
        assert reordered.index_of(leaf) == index
        assert verify(tree.root, leaf, reordered.proof(index))


def test_one_leaf_tree_is_its_leaf_with_an_empty_proof() -> None:
    leaf = keccak(b"only")
    tree = MerkleTree([leaf])
    assert tree.root == leaf_node(leaf)
    assert tree.proof(0) == []
    assert len(tree) == 1


def test_odd_leaf_counts_place_leaves_at_two_depths() -> None:
    # Three leaves: the array is [root, n1, l0, l1, l2]; the leaf at index 2 sits one level higher.
    leaves = [keccak(bytes([i])) for i in range(3)]
    nodes = [leaf_node(leaf) for leaf in leaves]
    tree = MerkleTree(leaves, sort_leaves=False)
    assert tree.nodes[2:] == (nodes[2], nodes[1], nodes[0])
    assert tree.nodes[1] == hash_pair(nodes[1], nodes[0])
    assert tree.root == hash_pair(tree.nodes[1], nodes[2])
    assert [len(tree.proof(i)) for i in range(3)] == [2, 2, 1]


def test_duplicate_leaves_each_get_a_proof() -> None:
    leaf = keccak(b"twice")
    tree = MerkleTree([leaf, leaf, keccak(b"once")])
    assert verify(tree.root, leaf, tree.proof(0))
    assert verify(tree.root, leaf, tree.proof(1))
    assert tree.index_of(leaf) == 0


def test_invalid_input_is_refused() -> None:
    with pytest.raises(MerkleError, match="at least one leaf"):
        MerkleTree([])
    with pytest.raises(MerkleError, match="leaf must be 32 bytes, got 31"):
        MerkleTree([b"\x00" * 31])
    with pytest.raises(MerkleError, match="got str"):
        MerkleTree(["0x" + "00" * 32])  # type: ignore[list-item]
    tree = MerkleTree([keccak(b"a"), keccak(b"b")])
    for index in (-1, 2, True):
        with pytest.raises(MerkleError, match="leaf index"):
            tree.proof(index)
    with pytest.raises(MerkleError, match="is not in the tree"):
        tree.index_of(keccak(b"c"))
    with pytest.raises(MerkleError, match="proof element"):
        verify(tree.root, keccak(b"a"), [b"\x01" * 33])
    with pytest.raises(MerkleError, match="root"):
        verify(b"", keccak(b"a"), tree.proof(0))


# --- Merkle-sum tree -------------------------------------------------------------------------------------


def account(name: str) -> bytes:
    return keccak(text=name)


amounts = st.integers(min_value=0, max_value=10**30)
entry_lists = st.lists(st.tuples(hashes, amounts), min_size=1, max_size=40)


def test_sum_node_encoding_is_the_documented_one() -> None:
    a, b = sum_leaf(account("alice"), 70), sum_leaf(account("bob"), 30)
    assert a.hash == keccak(b"\x00" + encode(["bytes32", "uint256"], [account("alice"), 70]))
    left, right = sorted([a, b], key=lambda node: node.hash)
    expected = keccak(
        b"\x01"
        + encode(
            ["bytes32", "uint256", "bytes32", "uint256"], [left.hash, left.total, right.hash, right.total]
        )
    )
    assert sum_parent(a, b) == sum_parent(b, a) == SumNode(expected, 100)


@given(entries=entry_lists, data=st.data())
def test_sum_tree_total_and_proofs(entries: list[tuple[bytes, int]], data: st.DataObject) -> None:
    tree = MerkleSumTree(entries)
    assert tree.total == sum(amount for _, amount in entries)
    index = data.draw(st.integers(0, len(entries) - 1))
    leaf = tree.leaf(index)
    assert leaf == sum_leaf(*entries[index])
    proof = tree.proof(index)
    assert process_sum_proof(leaf, proof) == tree.root
    assert verify_sum(tree.root, *entries[index], proof)


@given(entries=st.lists(st.tuples(hashes, amounts), min_size=2, max_size=40), data=st.data())
def test_sum_tree_tampering_fails(entries: list[tuple[bytes, int]], data: st.DataObject) -> None:
    tree = MerkleSumTree(entries)
    index = data.draw(st.integers(0, len(entries) - 1))
    account_hash, amount = entries[index]
    proof = tree.proof(index)
    # The holder's balance shrunk in the tree: their own leaf no longer verifies.
    if amount > 0:
        assert not verify_sum(tree.root, account_hash, amount - 1, proof)
    # A sibling total changed (value moved between subtrees) breaks the hash chain.
    position = data.draw(st.integers(0, len(proof) - 1))
    sibling = proof[position]
    moved = SumNode(sibling.hash, sibling.total + 1)
    assert not verify_sum(tree.root, account_hash, amount, [*proof[:position], moved, *proof[position + 1 :]])
    # The right hash with a different published total is another root.
    assert not verify_sum(SumNode(tree.root.hash, tree.total + 1), account_hash, amount, proof)


def test_sum_tree_refuses_overflow_and_bad_amounts() -> None:
    with pytest.raises(MerkleError, match="overflows uint256"):
        MerkleSumTree([(account("a"), UINT256_LIMIT - 1), (account("b"), 1)])
    with pytest.raises(MerkleError, match="amount must be an integer"):
        MerkleSumTree([(account("a"), -1)])
    with pytest.raises(MerkleError, match="amount must be an integer"):
        MerkleSumTree([(account("a"), 1.5)])  # type: ignore[list-item]
    with pytest.raises(MerkleError, match="at least one leaf"):
        MerkleSumTree([])
    # A forged proof whose totals overflow proves nothing rather than raising.
    huge = SumNode(os.urandom(32), UINT256_LIMIT - 1)
    assert not verify_sum(SumNode(keccak(b"root"), 0), account("a"), 1, [huge])
