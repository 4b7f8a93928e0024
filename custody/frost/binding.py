"""Binding factors and the group commitment (RFC 9591 §4.4 and §4.5).

Each signer's binding factor ρ_i = H1(PK || H4(msg) || H5(commitment list) || i) ties its nonce to this
message and this set of signers, which is what makes FROST safe against concurrent-session attacks. The group
commitment is R = Σ (D_i + ρ_i·E_i); the per-signer terms are kept because the aggregator needs them again to
check each signature share. `derive_session` bundles everything a signer and the aggregator both derive.
"""

from dataclasses import dataclass

from custody.frost.ciphersuite import h1, h4, h5
from custody.frost.errors import InvalidCommitments
from custody.frost.group import Point, scalar_to_bytes
from custody.frost.signing_package import SigningPackage
from custody.frost.verify import challenge


def binding_factor_inputs(group_public_key: Point, signing_package: SigningPackage) -> dict[int, bytes]:
    """rho_input for each signer: the shared prefix followed by the signer's serialized identifier."""
    prefix = (
        group_public_key.to_bytes()
        + h4(signing_package.message)
        + h5(signing_package.encode_commitment_list())
    )
    return {identifier: prefix + scalar_to_bytes(identifier) for identifier in signing_package.participants}


def compute_binding_factors(group_public_key: Point, signing_package: SigningPackage) -> dict[int, int]:
    """compute_binding_factors: ρ_i = H1(rho_input_i) for each signer."""
    return {
        identifier: h1(rho_input)
        for identifier, rho_input in binding_factor_inputs(group_public_key, signing_package).items()
    }


def signer_commitments(signing_package: SigningPackage, binding_factors: dict[int, int]) -> dict[int, Point]:
    """Each signer's share of the group commitment, D_i + ρ_i·E_i."""
    return {
        identifier: commitments.hiding + commitments.binding * binding_factors[identifier]
        for identifier, commitments in signing_package.commitments.items()
    }


def group_commitment(per_signer: dict[int, Point]) -> Point:
    """compute_group_commitment: R = Σ (D_i + ρ_i·E_i); an identity R cannot be signed with."""
    commitment = Point.sum(per_signer.values())
    if commitment.is_identity:
        raise InvalidCommitments("the group commitment is the identity element")
    return commitment


@dataclass(frozen=True)
class SessionValues:
    """What a signing package determines under a group key: ρ_i, D_i + ρ_i·E_i, R and the challenge c."""

    binding_factors: dict[int, int]
    signer_commitments: dict[int, Point]
    group_commitment: Point
    challenge: int


def derive_session(group_public_key: Point, signing_package: SigningPackage) -> SessionValues:
    """Compute binding factors, the group commitment and the challenge once for a signing package."""
    binding_factors = compute_binding_factors(group_public_key, signing_package)
    per_signer = signer_commitments(signing_package, binding_factors)
    R = group_commitment(per_signer)
    return SessionValues(
        binding_factors, per_signer, R, challenge(R, group_public_key, signing_package.message)
    )
