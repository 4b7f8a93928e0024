"""Key generation with a trusted dealer (RFC 9591 appendix C): Shamir-split one secret into n shares.

The dealer sees the whole group secret, so this is for tests, devnets and ceremonies where one trusted machine
is acceptable; production keys come from the DKG (`dkg.py`). A key the on-chain verifier cannot take is drawn
again, or refused when the caller fixed the secret.
"""

from collections.abc import Sequence

from custody.frost.errors import InvalidParameters, UnusableGroupKey
from custody.frost.group import Point, random_scalar, require_scalar
from custody.frost.keys import KeyPackage, PublicKeyPackage
from custody.frost.onchain import require_onchain_verifiable
from custody.frost.polynomial import require_signer_counts
from custody.frost.vss import deal_shares


def trusted_dealer_keygen(
    max_signers: int, min_signers: int, secret: int | None = None
) -> tuple[dict[int, KeyPackage], PublicKeyPackage]:
    """A fresh `min_signers`-of-`max_signers` key for participants 1..max_signers.

    With `secret` given, that is the group secret (and UnusableGroupKey is raised if its key has x >= N);
    otherwise a random secret is drawn until the key is usable on-chain.
    """
    require_signer_counts(max_signers, min_signers)
    if secret is not None:
        if require_scalar(secret, "the group secret") == 0:
            raise InvalidParameters("the group secret must not be zero")
        return keygen_from_coefficients([secret, *_random_scalars(min_signers - 1)], max_signers)
    while True:
        try:
            return keygen_from_coefficients(_random_scalars(min_signers), max_signers)
        except UnusableGroupKey:
            continue


def keygen_from_coefficients(
    coefficients: Sequence[int], max_signers: int
) -> tuple[dict[int, KeyPackage], PublicKeyPackage]:
    """secret_share_shard with a given polynomial: f's constant term is the secret, deg f = min_signers - 1.

    Deterministic, for test vectors and reproducible fixtures; real keys need fresh random coefficients.
    """
    min_signers = len(coefficients)
    require_signer_counts(max_signers, min_signers)
    for coefficient in coefficients:
        require_scalar(coefficient, "a polynomial coefficient")
    if coefficients[0] == 0:
        raise InvalidParameters("the group secret must not be zero")
    group_public_key = require_onchain_verifiable(Point.base_mul(coefficients[0]))
    shares = deal_shares(coefficients, range(1, max_signers + 1))
    verifying_shares = {identifier: Point.base_mul(share) for identifier, share in shares.items()}
    key_packages = {
        identifier: KeyPackage(identifier, share, verifying_shares[identifier], group_public_key, min_signers)
        for identifier, share in shares.items()
    }
    return key_packages, PublicKeyPackage(verifying_shares, group_public_key, min_signers)


def _random_scalars(count: int) -> list[int]:
    return [random_scalar() for _ in range(count)]
