"""Joint secret sharing, the rounds that the DKG and refresh have in common (Pedersen's DKG, FROST KeyGen).

Each participant deals a random polynomial of degree min_signers - 1 to everyone else, publishing Feldman
commitments to it; each recipient checks every share it receives against its sender's commitment (naming the
senders whose shares do not match) and adds them up. The DKG deals random constant terms (a new group secret),
refresh deals zero constant terms (new shares of the same secret). The two secret packages here hold what a
participant keeps in memory between rounds; they must never be sent anywhere.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from custody.frost.errors import InvalidIdentifier, InvalidParameters, InvalidSecretShare, MalformedPackage
from custody.frost.group import N, Point, require_scalar
from custody.frost.keys import SecretScalar
from custody.frost.polynomial import evaluate_polynomial, require_identifier, require_signer_counts
from custody.frost.vss import VssCommitment, bad_senders, sum_commitments, vss_commit


@dataclass(frozen=True)
class Round1SecretPackage:
    """A participant's own polynomial (secret) and its commitment, kept between part 1 and part 2."""

    identifier: int
    coefficients: tuple[int, ...] = field(repr=False)
    commitment: VssCommitment
    min_signers: int
    max_signers: int


@dataclass(frozen=True)
class Round2SecretPackage:
    """What a participant keeps between part 2 and part 3: its own share f_i(i) and what it dealt against."""

    identifier: int
    commitment: VssCommitment
    own_share: int = field(repr=False)
    min_signers: int
    max_signers: int
    peer_commitments: dict[int, VssCommitment]


def start(identifier: int, max_signers: int, coefficients: Sequence[int]) -> Round1SecretPackage:
    """Validate the parameters and commit to a participant's polynomial (constant term first)."""
    require_identifier(identifier)
    min_signers = len(coefficients)
    require_signer_counts(max_signers, min_signers)
    for coefficient in coefficients:
        require_scalar(coefficient, "a polynomial coefficient")
    return Round1SecretPackage(
        identifier, tuple(coefficients), vss_commit(coefficients), min_signers, max_signers
    )


def deal(
    secret: Round1SecretPackage, peer_commitments: Mapping[int, VssCommitment]
) -> tuple[Round2SecretPackage, dict[int, SecretScalar]]:
    """f_i(j) for every other participant j, after checking that exactly the expected peers committed."""
    require_peers(secret, peer_commitments)
    shares = {
        peer: SecretScalar(evaluate_polynomial(secret.coefficients, peer))
        for peer in sorted(peer_commitments)
    }
    own_share = evaluate_polynomial(secret.coefficients, secret.identifier)
    kept = Round2SecretPackage(
        secret.identifier,
        secret.commitment,
        own_share,
        secret.min_signers,
        secret.max_signers,
        dict(sorted(peer_commitments.items())),
    )
    return kept, shares


def collect(
    secret: Round2SecretPackage,
    peer_commitments: Mapping[int, VssCommitment],
    received: Mapping[int, SecretScalar],
) -> tuple[int, VssCommitment]:
    """Check every received share against its sender's commitment; return Σ f_j(i) and the summed commitment.

    Raises InvalidSecretShare naming every sender whose share does not match, and MalformedPackage naming
    peers whose share is missing.
    """
    if dict(sorted(peer_commitments.items())) != secret.peer_commitments:
        raise InvalidParameters("part 3 must get the same round-1 packages as part 2")
    unexpected = sorted(set(received) - set(peer_commitments))
    if unexpected:
        raise InvalidIdentifier(f"round-2 shares from non-participants {unexpected}")
    missing = sorted(set(peer_commitments) - set(received))
    if missing:
        raise MalformedPackage(missing, "no round-2 share received")
    for sender, share in received.items():
        if not isinstance(share, SecretScalar):
            raise MalformedPackage([sender], "round-2 share is not a SecretScalar")
    shares = {sender: share.value for sender, share in received.items()}
    culprits = bad_senders(secret.identifier, shares, peer_commitments)
    if culprits:
        raise InvalidSecretShare(culprits)
    total = (secret.own_share + sum(shares.values())) % N
    everyone = [secret.commitment, *peer_commitments.values()]
    return total, sum_commitments(everyone)


def participants_of(secret: Round2SecretPackage) -> list[int]:
    """Every participant of the session, the holder included, ascending."""
    return sorted([secret.identifier, *secret.peer_commitments])


def require_peers(secret: Round1SecretPackage, peer_commitments: Mapping[int, Sequence[Point]]) -> None:
    """Exactly max_signers - 1 peers, never the holder itself, each committing to min_signers coefficients."""
    for peer in peer_commitments:
        require_identifier(peer)
    if secret.identifier in peer_commitments:
        raise InvalidIdentifier("a participant's own package must not be among its peers'")
    expected = secret.max_signers - 1
    if len(peer_commitments) != expected:
        raise InvalidParameters(f"expected packages from {expected} peers, got {len(peer_commitments)}")
    wrong_size = [
        peer for peer, commitment in peer_commitments.items() if len(commitment) != secret.min_signers
    ]
    if wrong_size:
        raise MalformedPackage(wrong_size, f"commitment does not have {secret.min_signers} coefficients")
