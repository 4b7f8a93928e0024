"""Checking a depth-20 Merkle proof (a tree of about a million leaves) with `contracts/modules/merkle.vy`.

Measured as the execution gas (no transaction base, no calldata) of a transaction to
`contracts/testing/MerkleHarness.vy`'s `verify`: what a contract pays to check one proof. (A receipt would not
show it: twenty sibling hashes make the transaction pay Prague's EIP-7623 calldata floor instead.)
"""

from collections.abc import Mapping

from eth_utils import keccak

from benchmarks.gas_cases.common import GasEnv, Measurement
from chain.merkle import process_proof

PROOF_DEPTH = 20


def measure(env: GasEnv) -> Mapping[str, Measurement]:
    """Execution gas of verifying one leaf against a root through 20 sibling hashes."""
    harness = env.deploy("MerkleHarness")
    leaf = keccak(text="tpwallet gas benchmark merkle leaf")
    proof = [keccak(text=f"tpwallet gas benchmark merkle sibling {level}") for level in range(PROOF_DEPTH)]
    root = process_proof(leaf, proof)
    call = harness.functions.verify(proof, root, leaf)
    if not call.call():
        raise RuntimeError("the benchmark's Merkle proof does not verify on chain")
    return {
        "merkle_verify_depth20": Measurement(
            gas=env.execution_gas(call),
            what=f"merkle._verify of a depth-{PROOF_DEPTH} proof, execution gas",
        )
    }
