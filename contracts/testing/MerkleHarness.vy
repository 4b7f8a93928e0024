# pragma version ~=0.4.3
"""
@title Test harness for the merkle module
@license Apache-2.0
@notice Exposes `modules/merkle.vy` so tests can check that proofs made by
        `chain/merkle.py` verify on-chain, and so its gas can be measured from a
        real transaction receipt. Not deployed outside tests and benchmarks.
"""

from ..modules import merkle


event ProofChecked:
    root: indexed(bytes32)
    leaf: indexed(bytes32)
    valid: bool


@external
@pure
def verify(proof: DynArray[bytes32, merkle.MAX_PROOF_DEPTH], root: bytes32, leaf: bytes32) -> bool:
    """
    @notice Whether `proof` shows `leaf` is in the tree with root `root`.
    @param proof The sibling hashes, leaf level first.
    @param root The Merkle root.
    @param leaf The leaf (the module hashes it into its node).
    @return True when the proof leads from `leaf` to `root`.
    """
    return merkle._verify(proof, root, leaf)


@external
@pure
def process_proof(proof: DynArray[bytes32, merkle.MAX_PROOF_DEPTH], leaf: bytes32) -> bytes32:
    """
    @notice The root that `proof` leads to from `leaf`.
    @param proof The sibling hashes, leaf level first.
    @param leaf The leaf (the module hashes it into its node).
    @return The computed root.
    """
    return merkle._process_proof(proof, leaf)


@external
def check_proof(proof: DynArray[bytes32, merkle.MAX_PROOF_DEPTH], root: bytes32, leaf: bytes32) -> bool:
    """
    @notice Verifies a proof in a transaction and logs the outcome, so the cost
            of a verification can be read from a receipt and the log read back.
    @param proof The sibling hashes, leaf level first.
    @param root The Merkle root.
    @param leaf The leaf (the module hashes it into its node).
    @return True when the proof leads from `leaf` to `root`.
    """
    valid: bool = merkle._verify(proof, root, leaf)
    log ProofChecked(root=root, leaf=leaf, valid=valid)
    return valid
