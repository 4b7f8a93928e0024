"""Key confirmation after a DKG or refresh: everybody must have ended with the same public view of the key.

Each participant hashes the session id, every participant's commitment and the resulting public key package,
broadcasts the hash, and checks everyone else's against its own. A mismatch means someone was shown different
commitments (a broken broadcast) or computed a different key; such a key must never be stored or used. This
is the pure part of the confirmation round: sending and signing the hashes belongs to the nodes.
"""

import hmac
from collections.abc import Iterable, Mapping, Sequence

from custody.frost.ciphersuite import h_transcript
from custody.frost.errors import ConfirmationMismatch, InvalidIdentifier, InvalidParameters
from custody.frost.group import Point, scalar_to_bytes
from custody.frost.keys import PublicKeyPackage
from custody.frost.polynomial import require_identifiers

_MAX_FIELD = 0xFFFF


def transcript_hash(
    kind: bytes,
    session_id: bytes,
    public_key_package: PublicKeyPackage,
    commitments: Mapping[int, Sequence[Point]],
) -> bytes:
    """H(kind, session id, min_signers, group key, all commitments, all verifying shares), length-prefixed."""
    if len(kind) > 255 or len(session_id) > _MAX_FIELD:
        raise InvalidParameters("the session id must be at most 65535 bytes")
    parts = [
        bytes((len(kind),)),
        kind,
        len(session_id).to_bytes(2, "big"),
        session_id,
        (public_key_package.min_signers or 0).to_bytes(2, "big"),
        public_key_package.group_public_key.to_bytes(),
        len(commitments).to_bytes(2, "big"),
    ]
    for identifier in require_identifiers(commitments):
        commitment = commitments[identifier]
        parts += [scalar_to_bytes(identifier), len(commitment).to_bytes(2, "big")]
        parts += [point.to_bytes() for point in commitment]
    parts.append(len(public_key_package.verifying_shares).to_bytes(2, "big"))
    for identifier, share in public_key_package.verifying_shares.items():
        parts += [scalar_to_bytes(identifier), share.to_bytes()]
    return h_transcript(b"".join(parts))


def check_confirmations(own: bytes, confirmations: Mapping[int, bytes], participants: Iterable[int]) -> None:
    """Raise ConfirmationMismatch naming each participant whose confirmation is missing or differs from `own`.

    `participants` are the identifiers expected to confirm (the caller's own may be included); a confirmation
    from anyone else raises InvalidIdentifier.
    """
    expected = require_identifiers(participants)
    strangers = sorted(set(confirmations) - set(expected))
    if strangers:
        raise InvalidIdentifier(f"confirmations from non-participants {strangers}")
    culprits = [
        identifier
        for identifier in expected
        if not hmac.compare_digest(confirmations.get(identifier, b""), own)
    ]
    if culprits:
        raise ConfirmationMismatch(culprits)
