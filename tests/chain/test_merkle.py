"""Merkle trees and proofs: OpenZeppelin's published values, a proof for every leaf, tampering that fails."""

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
    process_proof,
    process_sum_proof,
    sum_leaf,
    sum_parent,
    verify,
    verify_sum,
)


def h(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


# Known values from OpenZeppelin/merkle-tree: the README example and the test/dumps/*-v1.*.1_0_6.json trees,
# made by @openzeppelin/merkle-tree 1.0.6 (StandardMerkleTree over ["string"] values "a".."f", and
# SimpleMerkleTree over six bytes32 leaves), each with sortLeaves true and false.
OZ_README_VALUES = [
    ("0x1111111111111111111111111111111111111111", 5000000000000000000),
    ("0x2222222222222222222222222222222222222222", 2500000000000000000),
]
OZ_README_ROOT = h("d4dee0beab2d53f2cc83e567171bd2820e49898130a22622b10ead383e90bd77")
OZ_README_PROOF_OF_FIRST = [h("b92c48e9d7abe27fd8dfd6b5dfdbfb1c9a463f80c712b66f3a5180a090cccafc")]

OZ_STRING_VALUES = [(letter,) for letter in "abcdef"]
OZ_STRING_SORTED_TREE = [
    h("6deb52b5da8fd108f79fab00341f38d2587896634c646ee52e49f845680a70c8"),
    h("52426e0f1f65ff7e209a13b8c29cffe82e3acaf3dad0a9b9088f3b9a61a929c3"),
    h("fd3cf45654e88d1cc5d663578c82c76f4b5e3826bacaa1216441443504538f51"),
    h("8076923e76cf01a7c048400a2304c9a9c23bbbdac3a98ea3946340fdafbba34f"),
    h("965b92c6cf08303cc4feb7f3e0819c436c2cec17c6f0688a6af139c9a368707c"),
    h("eba909cf4bb90c6922771d7f126ad0fd11dfde93f3937a196274e1ac20fd2f5b"),
    h("c62a8cfa41edc0ef6f6ae27a2985b7d39c7fea770787d7e104696c6e81f64848"),
    h("9cf5a63718145ba968a01c1d557020181c5b252f665cf7386d370eddb176517b"),
    h("9c15a6a0eaeed500fd9eed4cbeab71f797cefcc67bfd46683e4d2e6ff7f06d1c"),
    h("9a4f64e953595df82d1b4f570d34c4f4f0cfaf729a61e9d60e83e579e1aa283e"),
    h("19ba6c6333e0e9a15bf67523e0676e2f23eb8e574092552d5e888c64a4bb3681"),
]
OZ_STRING_UNSORTED_ROOT = h("23be0977360f08bb0bd7f709a7d543d2cd779c79c66d74e0441919871647de2b")

OZ_SIMPLE_LEAVES = [
    h("3ac225168df54212a25c1c01fd35bebfea408fdac2e31ddd6f80a4bbf9a5f1cb"),
    h("b5553de315e0edf504d9150af82dafa5c4667fa618ed0a6f19c69b41166c5510"),
    h("0b42b6393c1f53060fe3ddbfcd7aadcca894465a5a438f69c87d790b2299b9b2"),
    h("f1918e8562236eb17adc8502332f4c9c82bc14e19bfc0aa10ab674ff75b3d2f3"),
    h("a8982c89d80987fb9a510e25981ee9170206be21af3c8e0eb312ef1d3382e761"),
    h("d1e8aeb79500496ef3dc2e57ba746a8315d048b7a664a2bf948db4fa91960483"),
]
OZ_SIMPLE_SORTED_ROOT = h("1b404f199ea828ec5771fb30139c222d8417a82175fefad5cd42bc3a189bd8d5")
OZ_SIMPLE_UNSORTED_ROOT = h("9012f1e18a87790d2e01faace75aaaca38e53df437cdce2c0552464dda4af49c")

hashes = st.binary(min_size=32, max_size=32)
leaf_lists = st.lists(hashes, min_size=1, max_size=64)


def test_readme_example_root_and_proof() -> None:
    tree = MerkleTree.of(["address", "uint256"], OZ_README_VALUES)
    assert tree.root == OZ_README_ROOT
    assert tree.proof(0) == OZ_README_PROOF_OF_FIRST
    # The single-element proof of the first value is the second value's leaf hash.
    assert leaf_hash(["address", "uint256"], OZ_README_VALUES[1]) == OZ_README_PROOF_OF_FIRST[0]
    assert verify(OZ_README_ROOT, leaf_hash(["address", "uint256"], OZ_README_VALUES[0]), tree.proof(0))


def test_standard_tree_matches_openzeppelin_dump_node_for_node() -> None:
    tree = MerkleTree.of(["string"], OZ_STRING_VALUES)
    assert list(tree.nodes) == OZ_STRING_SORTED_TREE
    assert MerkleTree.of(["string"], OZ_STRING_VALUES, sort_leaves=False).root == OZ_STRING_UNSORTED_ROOT


def test_simple_tree_matches_openzeppelin_dumps() -> None:
    assert MerkleTree(OZ_SIMPLE_LEAVES).root == OZ_SIMPLE_SORTED_ROOT
    assert MerkleTree(OZ_SIMPLE_LEAVES, sort_leaves=False).root == OZ_SIMPLE_UNSORTED_ROOT


def test_leaf_hash_is_double_keccak_of_abi_encoding() -> None:
    inner = keccak(encode(["address", "uint256"], list(OZ_README_VALUES[0])))
    assert leaf_hash(["address", "uint256"], OZ_README_VALUES[0]) == keccak(inner)
    with pytest.raises(MerkleError, match="2 types for 1 values"):
        leaf_hash(["address", "uint256"], ["0x1111111111111111111111111111111111111111"])


def test_hash_pair_is_symmetric_and_orders_as_uint256() -> None:
    low, high = b"\x00" * 31 + b"\x01", b"\x01" + b"\x00" * 31
    assert hash_pair(low, high) == hash_pair(high, low) == keccak(low + high)


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
    assert tree.root == leaf
    assert tree.proof(0) == []
    assert len(tree) == 1


def test_odd_leaf_counts_place_leaves_at_two_depths() -> None:
    # Three leaves: the array is [root, n1, l0, l1, l2]; the leaf at index 2 sits one level higher.
    leaves = [keccak(bytes([i])) for i in range(3)]
    tree = MerkleTree(leaves, sort_leaves=False)
    assert tree.nodes[2:] == (leaves[2], leaves[1], leaves[0])
    assert tree.nodes[1] == hash_pair(leaves[1], leaves[0])
    assert tree.root == hash_pair(tree.nodes[1], leaves[2])
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
    assert a.hash == keccak(keccak(encode(["bytes32", "uint256"], [account("alice"), 70])))
    left, right = sorted([a, b], key=lambda node: node.hash)
    expected = keccak(
        encode(["bytes32", "uint256", "bytes32", "uint256"], [left.hash, left.total, right.hash, right.total])
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
    assert verify_sum(tree.root, leaf, proof)


@given(entries=st.lists(st.tuples(hashes, amounts), min_size=2, max_size=40), data=st.data())
def test_sum_tree_tampering_fails(entries: list[tuple[bytes, int]], data: st.DataObject) -> None:
    tree = MerkleSumTree(entries)
    index = data.draw(st.integers(0, len(entries) - 1))
    account_hash, amount = entries[index]
    proof = tree.proof(index)
    # The holder's balance shrunk in the tree: their own leaf no longer verifies.
    if amount > 0:
        assert not verify_sum(tree.root, sum_leaf(account_hash, amount - 1), proof)
    # A sibling total changed (value moved between subtrees) breaks the hash chain.
    position = data.draw(st.integers(0, len(proof) - 1))
    sibling = proof[position]
    moved = SumNode(sibling.hash, sibling.total + 1)
    assert not verify_sum(tree.root, tree.leaf(index), [*proof[:position], moved, *proof[position + 1 :]])
    # The right hash with a different published total is another root.
    assert not verify_sum(SumNode(tree.root.hash, tree.total + 1), tree.leaf(index), proof)


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
    leaf = sum_leaf(account("a"), 1)
    huge = SumNode(os.urandom(32), UINT256_LIMIT - 1)
    assert not verify_sum(SumNode(keccak(b"root"), 0), leaf, [huge])
