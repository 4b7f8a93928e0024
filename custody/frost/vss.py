"""Feldman verifiable secret sharing (RFC 9591 appendix C.2): commitments to a polynomial and share checks.

A commitment is the tuple (a_0·G, a_1·G, ...); anyone holding it can compute what a share's public image
must be, so a recipient can check a share from the dealer (or from a DKG or refresh participant) and name
the sender when it does not match.
"""

from collections.abc import Mapping, Sequence

from custody.frost.group import N, Point
from custody.frost.polynomial import evaluate_polynomial

VssCommitment = tuple[Point, ...]
"""Commitments to a polynomial's coefficients, constant term first."""


def vss_commit(coefficients: Sequence[int]) -> VssCommitment:
    """vss_commit: the commitment a_k·G to each coefficient."""
    return tuple(Point.base_mul(coefficient) for coefficient in coefficients)


def commitment_at(commitment: Sequence[Point], identifier: int) -> Point:
    """The public image f(identifier)·G of a share, from the commitment: Σ_k C_k · identifier^k."""
    terms = [commitment[0]]
    power = 1
    for coefficient_commitment in commitment[1:]:
        power = power * identifier % N
        terms.append(coefficient_commitment * power)
    return Point.sum(terms)


def share_matches(share: int, identifier: int, commitment: Sequence[Point]) -> bool:
    """vss_verify: share·G equals the commitment evaluated at the recipient's identifier."""
    return Point.base_mul(share) == commitment_at(commitment, identifier)


def sum_commitments(commitments: Sequence[Sequence[Point]]) -> VssCommitment:
    """Coefficient-wise sum: the commitment to the sum of the polynomials (all of the same degree)."""
    return tuple(Point.sum(column) for column in zip(*commitments, strict=True))


def deal_shares(coefficients: Sequence[int], recipients: Sequence[int]) -> dict[int, int]:
    """f(j) for each recipient j: the shares one dealer hands out."""
    return {recipient: evaluate_polynomial(coefficients, recipient) for recipient in recipients}


def verifying_shares_from(commitment: Sequence[Point], identifiers: Sequence[int]) -> dict[int, Point]:
    """Every participant's verifying share s_j·G, computed from the (summed) commitment alone."""
    return {identifier: commitment_at(commitment, identifier) for identifier in identifiers}


def bad_senders(
    recipient: int, shares: Mapping[int, int], commitments: Mapping[int, Sequence[Point]]
) -> list[int]:
    """The senders whose share to `recipient` does not match their commitment (empty when all are honest)."""
    return sorted(
        sender for sender, share in shares.items() if not share_matches(share, recipient, commitments[sender])
    )
