"""Real FROST signatures for tests that need custody authority (contracts, relay, API), without signer nodes.

Every signature goes through the full protocol (dealer key, round one, round two, share-checking
aggregation: `custody.provision.signing.sign_with_key`, imported here for the tests), so a contract test
that accepts it accepts what the custody nodes will produce.
"""

import hashlib
import random

from custody.frost import N, Point, Signature, keygen_from_coefficients, trusted_dealer_keygen
from custody.provision.signing import Key, sign_with_key

__all__ = ["Key", "fixed_key", "sign_digest", "sign_with_key"]


def fixed_key(seed: int, *, min_signers: int = 2, max_signers: int = 3, generation: int = 0) -> Key:
    """A deterministic `min_signers`-of-`max_signers` dealer key derived from `seed` (same seed, same key);
    a later `generation` keeps the secret (so the group key) and deals new shares, as a refresh does."""

    def coefficient(index: int) -> int:
        label = f"tpwallet test key {seed} {index}" + (f" {generation}" if index and generation else "")
        return int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % (N - 1) + 1

    coefficients = [coefficient(index) for index in range(min_signers)]
    return keygen_from_coefficients(coefficients, max_signers)


def sign_digest(digest: bytes, *, signers: int = 2, of: int = 3) -> tuple[Point, Signature]:
    """A fresh `signers`-of-`of` key and its signature over a 32-byte digest, by a random set of signers."""
    if len(digest) != 32:
        raise ValueError("a digest is 32 bytes")
    key = trusted_dealer_keygen(of, signers)
    chosen = sorted(random.sample(sorted(key[0]), signers))
    return key[1].group_public_key, sign_with_key(key, digest, chosen)
