# pragma version ~=0.4.3
"""
@title Merkle inclusion proofs over sorted pairs, leaves and internal nodes hashed apart
@license Apache-2.0
@notice Verifies that a leaf belongs to a tree whose root a contract has recorded
        (settlement batches, bridge batches). Hashing is domain-separated as in
        RFC 6962 (Certificate Transparency): a leaf's node is
        keccak256(0x00 || leaf) and an internal node keccak256(0x01 || a || b),
        so no internal node (the root included) can be passed off as a leaf, and
        no leaf as an internal node. Pairs are sorted as in OpenZeppelin's
        `MerkleProof` (the smaller child, as a uint256, first), so a proof is just
        the list of sibling hashes from the leaf up, with no left/right flags.
        `chain/merkle.py` builds the trees and proofs this module checks.
@dev A caller passes the leaf itself (32 bytes: `chain.merkle.leaf_hash` of a
     record's values, or any 32-byte item of a tree) and this module hashes it
     into its node: accepting a node hash from the caller is what let internal
     nodes pass as leaves. This module has no state: import it and call it.
"""

# A depth of 32 covers 2**32 leaves, far beyond any batch this project anchors,
# and bounds the gas a caller can make a verification spend.
MAX_PROOF_DEPTH: constant(uint256) = 32

# The first byte hashed into a leaf's node and into an internal node.
LEAF_PREFIX: constant(bytes1) = 0x00
NODE_PREFIX: constant(bytes1) = 0x01


@internal
@pure
def _leaf_node(leaf: bytes32) -> bytes32:
    """
    @dev The tree node of a leaf: keccak256(0x00 || leaf).
    """
    return keccak256(concat(LEAF_PREFIX, leaf))


@internal
@pure
def _process_proof(proof: DynArray[bytes32, MAX_PROOF_DEPTH], leaf: bytes32) -> bytes32:
    """
    @dev The root that `proof` leads to from `leaf`: hash the leaf into its node,
         then that node with each sibling in turn, from the bottom of the tree to
         the top.
    @param proof The sibling hashes, leaf level first.
    @param leaf The leaf (not its node hash).
    @return The root of the tree `proof` describes.
    """
    computed: bytes32 = self._leaf_node(leaf)
    for sibling: bytes32 in proof:
        # the parent of two nodes: keccak256(0x01 || the smaller one || the larger), written out here
        # rather than as an internal function, whose call costs more than the hash at every level
        if convert(computed, uint256) < convert(sibling, uint256):
            computed = keccak256(concat(NODE_PREFIX, computed, sibling))
        else:
            computed = keccak256(concat(NODE_PREFIX, sibling, computed))
    return computed


@internal
@pure
def _verify(proof: DynArray[bytes32, MAX_PROOF_DEPTH], root: bytes32, leaf: bytes32) -> bool:
    """
    @dev Whether `proof` shows `leaf` is in the tree with root `root`.
    @param proof The sibling hashes, leaf level first.
    @param root The root the caller trusts.
    @param leaf The leaf (not its node hash).
    @return True when the proof leads from `leaf` to `root`.
    """
    return self._process_proof(proof, leaf) == root
