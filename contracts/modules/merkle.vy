# pragma version ~=0.4.3
"""
@title Merkle inclusion proofs over sorted pairs
@license Apache-2.0
@notice Verifies that a leaf belongs to a tree whose root a contract has recorded
        (settlement batches, bridge batches). The convention is OpenZeppelin's
        `MerkleProof`: an internal node is keccak256 of its two children, the
        smaller one (as a uint256) first, so a proof is just the list of sibling
        hashes from the leaf up, with no left/right flags. `chain/merkle.py`
        builds the trees and proofs this module checks.
@dev Leaves must be hashes of data that cannot also be read as 64 bytes (two
     child hashes): `chain/merkle.leaf_hash` double-hashes the ABI encoding, as
     OpenZeppelin's StandardMerkleTree does, so an internal node can never be
     passed off as a leaf. This module has no state: import it and call it.
"""

# A depth of 32 covers 2**32 leaves, far beyond any batch this project anchors,
# and bounds the gas a caller can make a verification spend.
MAX_PROOF_DEPTH: constant(uint256) = 32


@internal
@pure
def _hash_pair(a: bytes32, b: bytes32) -> bytes32:
    """
    @dev The parent of two nodes: keccak256 of the smaller one, then the larger.
    """
    if convert(a, uint256) < convert(b, uint256):
        return keccak256(concat(a, b))
    return keccak256(concat(b, a))


@internal
@pure
def _process_proof(proof: DynArray[bytes32, MAX_PROOF_DEPTH], leaf: bytes32) -> bytes32:
    """
    @dev The root that `proof` leads to from `leaf`: hash the leaf with each
         sibling in turn, from the bottom of the tree to the top.
    @param proof The sibling hashes, leaf level first.
    @param leaf The leaf hash.
    @return The root of the tree `proof` describes.
    """
    computed: bytes32 = leaf
    for sibling: bytes32 in proof:
        computed = self._hash_pair(computed, sibling)
    return computed


@internal
@pure
def _verify(proof: DynArray[bytes32, MAX_PROOF_DEPTH], root: bytes32, leaf: bytes32) -> bool:
    """
    @dev Whether `proof` shows `leaf` is in the tree with root `root`.
    @param proof The sibling hashes, leaf level first.
    @param root The root the caller trusts.
    @param leaf The leaf hash.
    @return True when the proof leads from `leaf` to `root`.
    """
    return self._process_proof(proof, leaf) == root
