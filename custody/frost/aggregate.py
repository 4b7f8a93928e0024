"""The coordinator's last step (RFC 9591 §5.3, §5.4): check every signature share, then sum them.

Every share is verified before anything is released, so a cheating signer is named (InvalidSignatureShare
lists all culprits) instead of producing an invalid signature that would only fail on-chain. The summed
signature is verified once more under the group key, which catches a signer set below the threshold or a
public key package that does not belong to the key.
"""

from collections.abc import Mapping, Sequence

from custody.frost.binding import SessionValues, derive_session
from custody.frost.errors import (
    InvalidCommitments,
    InvalidIdentifier,
    InvalidSignature,
    InvalidSignatureShare,
)
from custody.frost.group import N, Point
from custody.frost.keys import PublicKeyPackage
from custody.frost.polynomial import lagrange_coefficient
from custody.frost.sign import SignatureShare
from custody.frost.signature import Signature
from custody.frost.signing_package import SigningPackage
from custody.frost.verify import verify_signature


def verify_signature_share(
    signing_package: SigningPackage,
    identifier: int,
    share: SignatureShare,
    public_key_package: PublicKeyPackage,
) -> bool:
    """verify_signature_share: True when z_i·G = D_i + ρ_i·E_i + (c·λ_i)·PK_i for signer `identifier`."""
    _require_known_signers(signing_package.participants, public_key_package)
    if identifier not in signing_package.commitments:
        raise InvalidIdentifier(f"participant {identifier} is not a signer in this signing package")
    session = derive_session(public_key_package.group_public_key, signing_package)
    return _share_is_valid(session, signing_package.participants, identifier, share, public_key_package)


def aggregate(
    signing_package: SigningPackage,
    shares: Mapping[int, SignatureShare],
    public_key_package: PublicKeyPackage,
) -> Signature:
    """aggregate: the group signature, only if every share verifies; else InvalidSignatureShare(culprits)."""
    participants = signing_package.participants
    missing = sorted(set(participants) - set(shares))
    unexpected = sorted(set(shares) - set(participants))
    if missing or unexpected:
        raise InvalidCommitments(
            f"shares must come from exactly the package's signers: missing {missing}, extra {unexpected}"
        )
    for identifier, share in shares.items():
        if not isinstance(share, SignatureShare):
            raise InvalidCommitments(f"participant {identifier}'s share is not a SignatureShare")
    _require_known_signers(participants, public_key_package)
    if public_key_package.min_signers is not None and len(participants) < public_key_package.min_signers:
        raise InvalidCommitments(
            f"{len(participants)} signers cannot reach the threshold of {public_key_package.min_signers}"
        )

    session = derive_session(public_key_package.group_public_key, signing_package)
    culprits = [
        identifier
        for identifier in participants
        if not _share_is_valid(session, participants, identifier, shares[identifier], public_key_package)
    ]
    if culprits:
        raise InvalidSignatureShare(culprits)

    signature = Signature(session.group_commitment, sum(share.share for share in shares.values()) % N)
    if not verify_signature(public_key_package.group_public_key, signing_package.message, signature):
        raise InvalidSignature("every share verified but the group signature does not (too few signers?)")
    return signature


def _require_known_signers(participants: Sequence[int], public_key_package: PublicKeyPackage) -> None:
    unknown = [i for i in participants if i not in public_key_package.verifying_shares]
    if unknown:
        raise InvalidIdentifier(f"signers {unknown} have no verifying share in the public key package")


def _share_is_valid(
    session: SessionValues,
    participants: Sequence[int],
    identifier: int,
    share: SignatureShare,
    public_key_package: PublicKeyPackage,
) -> bool:
    weight = session.challenge * lagrange_coefficient(participants, identifier) % N
    expected = (
        session.signer_commitments[identifier] + public_key_package.verifying_shares[identifier] * weight
    )
    return Point.base_mul(share.share) == expected
