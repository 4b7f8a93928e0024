"""Share refresh (proactive secret sharing): new shares of the same group key, same threshold.

Every refreshing participant deals a random sharing of zero (a polynomial with constant term 0, committed
with Feldman VSS; the constant's commitment is the identity and is left out of the broadcast) and adds the
zero-shares it receives to its old share. The group secret and key are unchanged, but old and new shares no
longer combine: an attacker holding fewer than min_signers old shares plus some new ones learns nothing.
Participants left out of a refresh are dropped from the new PublicKeyPackage, which is how a compromised
node is removed. Rounds as in the DKG: part1 broadcast, part2 per-recipient SecretScalars (encrypted),
part3, then the confirmation round.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from custody.frost.confirm import transcript_hash
from custody.frost.errors import EncodingError, InconsistentKey, InvalidIdentifier, InvalidParameters
from custody.frost.group import N, Point, random_scalar
from custody.frost.keys import KeyPackage, PublicKeyPackage, SecretScalar, participant_keys, require_element
from custody.frost.pedersen import (
    Round1SecretPackage,
    Round2SecretPackage,
    collect,
    deal,
    participants_of,
    start,
)
from custody.frost.vss import VssCommitment, commitment_at
from custody.frost.wire import Reader


@dataclass(frozen=True)
class RefreshPackage:
    """A participant's public broadcast: commitments to the non-constant coefficients a_1..a_{t-1}."""

    commitment: VssCommitment

    def __post_init__(self) -> None:
        object.__setattr__(self, "commitment", tuple(self.commitment))
        if not self.commitment:
            raise EncodingError("a refresh commitment needs at least one coefficient")
        for point in self.commitment:
            require_element(point, "a coefficient commitment")

    def full_commitment(self) -> VssCommitment:
        """The commitment with the zero constant term's identity put back in front."""
        return (Point.IDENTITY, *self.commitment)

    def to_bytes(self) -> bytes:
        """count || C_1 || ... || C_{t-1}."""
        return len(self.commitment).to_bytes(2, "big") + b"".join(
            point.to_bytes() for point in self.commitment
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> "RefreshPackage":
        """Parse `to_bytes` output; any identity or off-curve element raises EncodingError."""
        with Reader(data, "refresh package") as reader:
            return cls(tuple(reader.element() for _ in range(reader.uint16())))


def refresh_part1(key_package: KeyPackage, max_signers: int) -> tuple[Round1SecretPackage, RefreshPackage]:
    """Part 1 for the holder of `key_package` in a refresh among `max_signers` participants."""
    coefficients = [0, *(random_scalar() for _ in range(key_package.min_signers - 1))]
    secret = start(key_package.identifier, max_signers, coefficients)
    return secret, RefreshPackage(secret.commitment[1:])


def refresh_part2(
    secret: Round1SecretPackage, refresh_packages: Mapping[int, RefreshPackage]
) -> tuple[Round2SecretPackage, dict[int, SecretScalar]]:
    """Part 2: each peer's zero-share, to be sent to it encrypted."""
    return deal(secret, _commitments(refresh_packages))


def refresh_part3(
    secret: Round2SecretPackage,
    refresh_packages: Mapping[int, RefreshPackage],
    round2_packages: Mapping[int, SecretScalar],
    key_package: KeyPackage,
    public_key_package: PublicKeyPackage,
) -> tuple[KeyPackage, PublicKeyPackage]:
    """Part 3: check received zero-shares (InvalidSecretShare names cheaters) and derive the refreshed key."""
    _require_same_key(secret, key_package, public_key_package)
    delta, zero_commitment = collect(secret, _commitments(refresh_packages), round2_packages)
    verifying_shares = {
        identifier: public_key_package.verifying_shares[identifier]
        + commitment_at(zero_commitment, identifier)
        for identifier in participants_of(secret)
    }
    return participant_keys(
        key_package.identifier,
        (key_package.signing_share + delta) % N,
        verifying_shares,
        public_key_package.group_public_key,
        key_package.min_signers,
    )


def refresh_transcript(
    secret: Round2SecretPackage,
    refresh_packages: Mapping[int, RefreshPackage],
    public_key_package: PublicKeyPackage,
    session_id: bytes,
) -> bytes:
    """This participant's confirmation of the refreshed key (compare with `check_confirmations`)."""
    commitments = {sender: package.commitment for sender, package in refresh_packages.items()}
    commitments[secret.identifier] = secret.commitment[1:]
    return transcript_hash(b"refresh", session_id, public_key_package, commitments)


def _commitments(refresh_packages: Mapping[int, RefreshPackage]) -> dict[int, VssCommitment]:
    return {sender: package.full_commitment() for sender, package in refresh_packages.items()}


def _require_same_key(
    secret: Round2SecretPackage, key_package: KeyPackage, public_key_package: PublicKeyPackage
) -> None:
    if secret.identifier != key_package.identifier:
        raise InvalidIdentifier("the refresh session and the key package belong to different participants")
    if key_package.group_public_key != public_key_package.group_public_key:
        raise InconsistentKey("the key package and the public key package are for different group keys")
    if public_key_package.verifying_shares.get(key_package.identifier) != key_package.verifying_share:
        raise InconsistentKey("the public key package does not hold this participant's verifying share")
    if secret.min_signers != key_package.min_signers or public_key_package.min_signers not in (
        None,
        key_package.min_signers,
    ):
        raise InvalidParameters("a refresh must keep the threshold")
    strangers = [i for i in participants_of(secret) if i not in public_key_package.verifying_shares]
    if strangers:
        raise InvalidIdentifier(f"participants {strangers} do not hold a share of this key")
