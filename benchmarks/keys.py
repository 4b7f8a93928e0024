"""The benchmarks' custody keys: the same group key every run, so a figure never moves with the key.

Only the group key is fixed (its secret comes from the seed); the shares are dealt afresh, which no figure
can see. Signatures come from `custody.provision.sign_with_key`, as in a local ceremony.
"""

import hashlib

from custody.frost import N, trusted_dealer_keygen
from custody.provision import Key


def fixed_key(seed: int) -> Key:
    """A 2-of-3 dealer key whose group key depends on `seed` alone."""
    digest = hashlib.sha256(f"tpwallet benchmark key {seed}".encode()).digest()
    return trusted_dealer_keygen(3, 2, secret=int.from_bytes(digest, "big") % (N - 1) + 1)
