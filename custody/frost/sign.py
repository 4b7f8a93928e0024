"""Round two of signing (RFC 9591 §5.2): one signer's share z_i of the group signature.

z_i = d_i + e_i·ρ_i + λ_i·s_i·c. Before answering, the signer checks that the package contains its own
commitments exactly as it made them (otherwise a coordinator could bind its nonces to someone else's) and that
enough signers take part for the key's threshold.
"""

from dataclasses import dataclass

from custody.frost.binding import derive_session
from custody.frost.commit import SigningNonces
from custody.frost.errors import InvalidCommitments
from custody.frost.group import N, require_scalar, scalar_to_bytes
from custody.frost.keys import KeyPackage
from custody.frost.polynomial import lagrange_coefficient
from custody.frost.signing_package import SigningPackage
from custody.frost.wire import Reader


@dataclass(frozen=True)
class SignatureShare:
    """One signer's response z_i: public (it reveals nothing without the nonces)."""

    share: int

    def __post_init__(self) -> None:
        require_scalar(self.share, "a signature share")

    def to_bytes(self) -> bytes:
        """SerializeScalar(z_i), 32 bytes."""
        return scalar_to_bytes(self.share)

    @classmethod
    def from_bytes(cls, data: bytes) -> "SignatureShare":
        """Parse 32 bytes, rejecting values >= N."""
        with Reader(data, "signature share") as reader:
            return cls(reader.scalar())


def round2_sign(
    signing_package: SigningPackage, nonces: SigningNonces, key_package: KeyPackage
) -> SignatureShare:
    """sign() for the participant holding `key_package`, with the nonces it made in round one."""
    identifier = key_package.identifier
    own = signing_package.commitments.get(identifier)
    if own is None:
        raise InvalidCommitments(f"the signing package has no commitments from participant {identifier}")
    if own != nonces.commitments:
        raise InvalidCommitments(
            "the signing package's commitments for this signer are not those of its nonces"
        )
    if len(signing_package.commitments) < key_package.min_signers:
        raise InvalidCommitments(
            f"{len(signing_package.commitments)} signers are below the threshold of {key_package.min_signers}"
        )
    session = derive_session(key_package.group_public_key, signing_package)
    lambda_i = lagrange_coefficient(signing_package.participants, identifier)
    share = (
        nonces.hiding
        + nonces.binding * session.binding_factors[identifier]
        + lambda_i * key_package.signing_share * session.challenge
    ) % N
    return SignatureShare(share)
