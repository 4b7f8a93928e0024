"""FROST(secp256k1, SHA-256) threshold Schnorr signatures as RFC 9591 specifies, plus DKG, refresh and repair.

Pure functions and immutable values only: no I/O, no logging, no imports from the rest of the project. The
network, storage and encryption of secret messages belong to the signer node and coordinator. Signing flow:
`round1_commit` -> coordinator builds a `SigningPackage` -> `round2_sign` -> `aggregate` (which names
cheaters) -> `verify_signature` / `Signature.onchain()`.
"""

from custody.frost.aggregate import aggregate, verify_signature_share
from custody.frost.ciphersuite import CONTEXT
from custody.frost.commit import SigningCommitments, SigningNonces, round1_commit
from custody.frost.confirm import check_confirmations
from custody.frost.dealer import keygen_from_coefficients, trusted_dealer_keygen
from custody.frost.dkg import (
    Round1Package,
    dkg_part1,
    dkg_part2,
    dkg_part3,
    dkg_transcript,
    verify_proof_of_knowledge,
)
from custody.frost.errors import (
    ConfirmationMismatch,
    CulpritError,
    EncodingError,
    FrostError,
    InconsistentKey,
    InvalidCommitments,
    InvalidIdentifier,
    InvalidParameters,
    InvalidProofOfKnowledge,
    InvalidRepair,
    InvalidSecretShare,
    InvalidSignature,
    InvalidSignatureShare,
    MalformedPackage,
    UnusableGroupKey,
)
from custody.frost.group import N, Point
from custody.frost.keys import KeyPackage, PublicKeyPackage, SecretScalar
from custody.frost.onchain import is_onchain_verifiable, require_onchain_verifiable
from custody.frost.pedersen import Round1SecretPackage, Round2SecretPackage
from custody.frost.refresh import (
    RefreshPackage,
    refresh_part1,
    refresh_part2,
    refresh_part3,
    refresh_transcript,
)
from custody.frost.repair import repair_share_step_1, repair_share_step_2, repair_share_step_3
from custody.frost.sign import SignatureShare, round2_sign
from custody.frost.signature import Signature
from custody.frost.signing_package import SigningPackage
from custody.frost.verify import challenge, verify_signature

__all__ = [
    "CONTEXT",
    "ConfirmationMismatch",
    "CulpritError",
    "EncodingError",
    "FrostError",
    "InconsistentKey",
    "InvalidCommitments",
    "InvalidIdentifier",
    "InvalidParameters",
    "InvalidProofOfKnowledge",
    "InvalidRepair",
    "InvalidSecretShare",
    "InvalidSignature",
    "InvalidSignatureShare",
    "KeyPackage",
    "MalformedPackage",
    "N",
    "Point",
    "PublicKeyPackage",
    "RefreshPackage",
    "Round1Package",
    "Round1SecretPackage",
    "Round2SecretPackage",
    "SecretScalar",
    "Signature",
    "SignatureShare",
    "SigningCommitments",
    "SigningNonces",
    "SigningPackage",
    "UnusableGroupKey",
    "aggregate",
    "challenge",
    "check_confirmations",
    "dkg_part1",
    "dkg_part2",
    "dkg_part3",
    "dkg_transcript",
    "is_onchain_verifiable",
    "keygen_from_coefficients",
    "refresh_part1",
    "refresh_part2",
    "refresh_part3",
    "refresh_transcript",
    "repair_share_step_1",
    "repair_share_step_2",
    "repair_share_step_3",
    "require_onchain_verifiable",
    "round1_commit",
    "round2_sign",
    "trusted_dealer_keygen",
    "verify_proof_of_knowledge",
    "verify_signature",
    "verify_signature_share",
]
