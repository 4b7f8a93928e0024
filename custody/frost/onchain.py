"""Which group keys the on-chain Schnorr verifier (`contracts/modules/schnorr.vy`) can take.

The contract checks z·G − c·PK = R with one `ecrecover`, passing PK.x as the ECDSA `r`; ecrecover rejects
r >= N, so a group key whose x-coordinate is >= N (probability about 2^-128 per key) could never authorise
anything on-chain. Key generation therefore refuses such a key before anyone relies on it.
"""

from custody.frost.errors import UnusableGroupKey
from custody.frost.group import N, Point


def is_onchain_verifiable(group_key: Point) -> bool:
    """True when the contracts can verify signatures under `group_key` (it is a point and its x < N)."""
    return not group_key.is_identity and group_key.x < N


def require_onchain_verifiable(group_key: Point) -> Point:
    """Return `group_key`, or raise UnusableGroupKey when the on-chain verifier cannot take it."""
    if not is_onchain_verifiable(group_key):
        raise UnusableGroupKey("the group key's x-coordinate is >= N; ecrecover cannot verify under it")
    return group_key
