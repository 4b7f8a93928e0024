"""Distributed key generation without a dealer: FROST KeyGen (Pedersen VSS + Schnorr proofs of knowledge).

Structured as the ZF `frost` crate's `keys::dkg` (and byte-compatible with its secp256k1 test vectors):
  part1 -> broadcast a Round1Package (commitment + proof of knowledge of the constant term);
  part2 -> check every peer's proof, send each peer j its share f_i(j) (a SecretScalar, encrypted end to end);
  part3 -> check each received share against its sender's commitment, derive the KeyPackage and the
           PublicKeyPackage. Then every participant broadcasts `dkg_transcript(...)`; the key may be stored
           and used only after `check_confirmations` passes for all of them.
The proof of knowledge stops a rogue-key attack (choosing a commitment that cancels the others'). A group
key the on-chain verifier cannot take makes part3 raise UnusableGroupKey: start a new session.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from custody.frost.ciphersuite import hdkg
from custody.frost.confirm import transcript_hash
from custody.frost.errors import EncodingError, InvalidProofOfKnowledge
from custody.frost.group import N, Point, random_scalar, scalar_to_bytes
from custody.frost.keys import KeyPackage, PublicKeyPackage, SecretScalar, participant_keys, require_element
from custody.frost.onchain import require_onchain_verifiable
from custody.frost.pedersen import (
    Round1SecretPackage,
    Round2SecretPackage,
    collect,
    deal,
    participants_of,
    require_peers,
    start,
)
from custody.frost.signature import Signature
from custody.frost.vss import VssCommitment, verifying_shares_from
from custody.frost.wire import Reader


@dataclass(frozen=True)
class Round1Package:
    """A participant's public broadcast: its polynomial's commitment and proof it knows the constant term."""

    commitment: VssCommitment
    proof_of_knowledge: Signature

    def __post_init__(self) -> None:
        object.__setattr__(self, "commitment", tuple(self.commitment))
        if not self.commitment:
            raise EncodingError("a commitment needs at least one coefficient")
        for point in self.commitment:
            require_element(point, "a coefficient commitment")

    def to_bytes(self) -> bytes:
        """count || C_0 || ... || C_{t-1} || proof (R || μ)."""
        return (
            len(self.commitment).to_bytes(2, "big")
            + b"".join(point.to_bytes() for point in self.commitment)
            + self.proof_of_knowledge.to_bytes()
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> "Round1Package":
        """Parse `to_bytes` output; any identity or off-curve element raises EncodingError."""
        with Reader(data, "DKG round-1 package") as reader:
            commitment = tuple(reader.element() for _ in range(reader.uint16()))
            proof = Signature(reader.element(), reader.scalar())
        return cls(commitment, proof)


def dkg_part1(
    identifier: int, max_signers: int, min_signers: int
) -> tuple[Round1SecretPackage, Round1Package]:
    """Part 1 for participant `identifier`: a random polynomial, its commitment and the proof of knowledge."""
    coefficients = [random_scalar() for _ in range(min_signers)]
    return dkg_part1_from_coefficients(identifier, max_signers, coefficients, random_scalar())


def dkg_part1_from_coefficients(
    identifier: int, max_signers: int, coefficients: list[int], proof_nonce: int
) -> tuple[Round1SecretPackage, Round1Package]:
    """Part 1 with the polynomial and proof nonce given (test vectors); real sessions use `dkg_part1`."""
    secret = start(identifier, max_signers, coefficients)
    proof = prove_knowledge(identifier, secret.coefficients[0], proof_nonce)
    return secret, Round1Package(secret.commitment, proof)


def prove_knowledge(identifier: int, secret: int, nonce: int) -> Signature:
    """σ = (R, μ) with R = k·G, μ = k + a_0·c, c = HDKG(i || a_0·G || R) (FROST KeyGen round 1, step 2)."""
    R = Point.base_mul(nonce)
    c = _proof_challenge(identifier, Point.base_mul(secret), R)
    return Signature(R, (nonce + secret * c) % N)


def verify_proof_of_knowledge(identifier: int, package: Round1Package) -> bool:
    """True when μ·G = R + c·C_0 for the sender's proof (FROST KeyGen round 1, step 5)."""
    proof = package.proof_of_knowledge
    c = _proof_challenge(identifier, package.commitment[0], proof.R)
    return Point.base_mul(proof.z) == proof.R + package.commitment[0] * c


def dkg_part2(
    secret: Round1SecretPackage, round1_packages: Mapping[int, Round1Package]
) -> tuple[Round2SecretPackage, dict[int, SecretScalar]]:
    """Part 2: verify every peer's proof (InvalidProofOfKnowledge names all failures), then deal shares."""
    commitments = _commitments(round1_packages)
    require_peers(secret, commitments)
    culprits = [
        sender
        for sender, package in round1_packages.items()
        if not verify_proof_of_knowledge(sender, package)
    ]
    if culprits:
        raise InvalidProofOfKnowledge(culprits)
    return deal(secret, commitments)


def dkg_part3(
    secret: Round2SecretPackage,
    round1_packages: Mapping[int, Round1Package],
    round2_packages: Mapping[int, SecretScalar],
) -> tuple[KeyPackage, PublicKeyPackage]:
    """Part 3: check received shares (InvalidSecretShare names cheaters) and derive this participant's key."""
    signing_share, group_commitment = collect(secret, _commitments(round1_packages), round2_packages)
    group_public_key = require_onchain_verifiable(group_commitment[0])
    verifying_shares = verifying_shares_from(group_commitment, participants_of(secret))
    return participant_keys(
        secret.identifier, signing_share, verifying_shares, group_public_key, secret.min_signers
    )


def dkg_transcript(
    secret: Round2SecretPackage,
    round1_packages: Mapping[int, Round1Package],
    public_key_package: PublicKeyPackage,
    session_id: bytes,
) -> bytes:
    """This participant's confirmation: hash of the session, all commitments and the resulting public key."""
    commitments = {**_commitments(round1_packages), secret.identifier: secret.commitment}
    return transcript_hash(b"dkg", session_id, public_key_package, commitments)


def _commitments(round1_packages: Mapping[int, Round1Package]) -> dict[int, VssCommitment]:
    return {sender: package.commitment for sender, package in round1_packages.items()}


def _proof_challenge(identifier: int, constant_commitment: Point, R: Point) -> int:
    return hdkg(scalar_to_bytes(identifier) + constant_commitment.to_bytes() + R.to_bytes())
