"""One FROST signature verification by `contracts/modules/schnorr.vy`, in execution gas.

Measured as the execution gas (no transaction base, no calldata) of a transaction to
`contracts/testing/SchnorrHarness.vy`'s `verify`. ARCHITECTURE.md budgets 5,600 for it, whatever the t-of-n of
the signing group.
"""

from collections.abc import Mapping

from eth_utils import keccak

from benchmarks.gas_cases.common import GasEnv, Measurement
from benchmarks.keys import fixed_key
from custody.provision import sign_with_key

VERIFY_GAS_BUDGET = 5_600
KEY_SEED = 9_591


def measure(env: GasEnv) -> Mapping[str, Measurement]:
    """Execution gas of verifying a real 2-of-3 FROST signature over a 32-byte digest."""
    harness = env.deploy("SchnorrHarness")
    key = fixed_key(KEY_SEED)
    group_key = key[1].group_public_key
    digest = keccak(text="tpwallet gas benchmark schnorr digest")
    rx, ry, z = sign_with_key(key, digest).onchain()
    call = harness.functions.verify(group_key.x, group_key.y & 1, digest, rx, ry, z)
    if not call.call():
        raise RuntimeError("the benchmark's FROST signature does not verify on chain")
    return {
        "schnorr_verify_execution": Measurement(
            gas=env.execution_gas(call),
            what="schnorr._verify of a 2-of-3 FROST signature, execution gas",
            target=VERIFY_GAS_BUDGET,
        )
    }
