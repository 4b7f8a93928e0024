"""Real FROST signatures for tests that need custody authority (contracts, relay, API), without signer nodes.

Every signature here goes through the full protocol (dealer key, round one, round two, share-checking
aggregation), so a contract test that accepts it accepts what the custody nodes will produce.
"""

import hashlib
import random
from collections.abc import Sequence

from custody.frost import (
    KeyPackage,
    N,
    Point,
    PublicKeyPackage,
    Signature,
    SigningPackage,
    aggregate,
    keygen_from_coefficients,
    round1_commit,
    round2_sign,
    trusted_dealer_keygen,
)

Key = tuple[dict[int, KeyPackage], PublicKeyPackage]


def fixed_key(seed: int, *, min_signers: int = 2, max_signers: int = 3, generation: int = 0) -> Key:
    """A deterministic `min_signers`-of-`max_signers` dealer key derived from `seed` (same seed, same key);
    a later `generation` keeps the secret (so the group key) and deals new shares, as a refresh does."""

    def coefficient(index: int) -> int:
        label = f"tpwallet test key {seed} {index}" + (f" {generation}" if index and generation else "")
        return int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % (N - 1) + 1

    coefficients = [coefficient(index) for index in range(min_signers)]
    return keygen_from_coefficients(coefficients, max_signers)


def sign_with_key(key: Key, message: bytes, signers: Sequence[int] | None = None) -> Signature:
    """Run both FROST rounds with the given signers (default: the first `min_signers` participants)."""
    key_packages, public_key_package = key
    if signers is None:
        threshold = next(iter(key_packages.values())).min_signers
        signers = sorted(key_packages)[:threshold]
    round_one = {identifier: round1_commit(key_packages[identifier].signing_share) for identifier in signers}
    package = SigningPackage(
        {identifier: commitments for identifier, (_, commitments) in round_one.items()}, message
    )
    shares = {
        identifier: round2_sign(package, nonces, key_packages[identifier])
        for identifier, (nonces, _) in round_one.items()
    }
    return aggregate(package, shares, public_key_package)


def sign_digest(digest: bytes, *, signers: int = 2, of: int = 3) -> tuple[Point, Signature]:
    """A fresh `signers`-of-`of` key and its signature over a 32-byte digest, by a random set of signers."""
    if len(digest) != 32:
        raise ValueError("a digest is 32 bytes")
    key = trusted_dealer_keygen(of, signers)
    chosen = sorted(random.sample(sorted(key[0]), signers))
    return key[1].group_public_key, sign_with_key(key, digest, chosen)
