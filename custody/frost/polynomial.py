"""Shamir polynomials over the scalar field (RFC 9591 §4.2 and appendix C.1), and the identifier rules.

A participant's identifier is the x at which the sharing polynomial is evaluated, so it must be a non-zero
scalar (x = 0 is the secret itself) and unique within a key; everything here refuses anything else.
"""

from collections.abc import Iterable, Sequence

from custody.frost.errors import InvalidIdentifier, InvalidParameters
from custody.frost.group import N

MAX_SIGNERS = 0xFFFF
"""Largest number of participants in a key (as in the ZF crate, which counts them in a u16)."""


def require_identifier(identifier: int) -> int:
    """Return `identifier` if it is an int in [1, N), else raise InvalidIdentifier."""
    if not isinstance(identifier, int) or isinstance(identifier, bool) or not 0 < identifier < N:
        raise InvalidIdentifier(f"identifier {identifier!r} must be an int in [1, N)")
    return identifier


def require_identifiers(identifiers: Iterable[int]) -> list[int]:
    """Validate each identifier and that none repeats; return them sorted."""
    checked = [require_identifier(identifier) for identifier in identifiers]
    if len(set(checked)) != len(checked):
        raise InvalidIdentifier("duplicate identifiers")
    return sorted(checked)


def require_signer_counts(max_signers: int, min_signers: int) -> None:
    """Enforce 2 <= min_signers <= max_signers <= MAX_SIGNERS (RFC 9591 §2; a threshold of 1 is none)."""
    for name, value in (("max_signers", max_signers), ("min_signers", min_signers)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidParameters(f"{name} must be an int")
    if min_signers < 2:
        raise InvalidParameters("min_signers must be at least 2")
    if min_signers > max_signers:
        raise InvalidParameters("min_signers must not exceed max_signers")
    if max_signers > MAX_SIGNERS:
        raise InvalidParameters(f"max_signers must not exceed {MAX_SIGNERS}")


def evaluate_polynomial(coefficients: Sequence[int], x: int) -> int:
    """f(x) mod N for f = coefficients[0] + coefficients[1]·x + ... (Horner's rule, RFC 9591 appendix C.1)."""
    value = 0
    for coefficient in reversed(coefficients):
        value = (value * x + coefficient) % N
    return value


def lagrange_coefficient(identifiers: Sequence[int], identifier: int, at: int = 0) -> int:
    """λ_i for interpolating at `at` over `identifiers` (RFC 9591 §4.2 derive_interpolating_value: at=0).

    `at` other than 0 serves share repair, which interpolates at the lost participant's identifier.
    """
    if identifier not in identifiers:
        raise InvalidIdentifier(f"identifier {identifier} is not among those interpolated")
    if len(set(identifiers)) != len(identifiers):
        raise InvalidIdentifier("duplicate identifiers")
    numerator = 1
    denominator = 1
    for other in identifiers:
        if other == identifier:
            continue
        numerator = numerator * (other - at) % N
        denominator = denominator * (other - identifier) % N
    return numerator * pow(denominator, -1, N) % N
