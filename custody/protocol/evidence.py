"""Evidence for an accusation of a bad share in a DKG or refresh, checkable by anyone who holds the roster.

A node that receives a share not matching its sender's commitment aborts and names the sender. Alone, that
is its word against the sender's: the share was sealed to the accuser, so nobody else can look at it, and a
lying node could end any ceremony and blame an honest one. So the accusation carries its evidence
(`share_evidence`), kept in the accuser's signed account of the session (``GET /v1/keys/sessions/{id}``):

* the sender's signed round-1 broadcast, whose package commits to the sender's polynomial;
* the sealed round-2 message as relayed, with the sender's signature over it;
* the X25519 output that message was sealed under (`custody.envelope.shared_secret`): it opens that one
  message and nothing else (each message has its own ephemeral key; the accuser's static key stays secret).

`check_share_accusation` checks it with the roster alone: both signatures, the bindings (purpose, session,
round, sender, recipient), that the disclosed secret decrypts the ciphertext (AES-GCM authenticates only
under the key the sender sealed with), and then the share against the commitment at the accuser's
identifier. The share matching the commitment proves the accusation false (the accuser is the one at fault);
evidence that does not verify proves nothing, and the accusation is rejected (`InvalidEvidence`).
Disclosing the share costs nothing: the session is aborted and its shares are never used.
"""

import json
from collections.abc import Mapping
from typing import Any, Final

from custody.envelope import (
    Binding,
    EnvelopeError,
    NodeIdentity,
    SealedMessage,
    SignedBroadcast,
    open_with_shared_secret,
    shared_secret,
    verify_broadcast,
)
from custody.errors import CustodyError
from custody.frost import Round1Package, SecretScalar
from custody.frost.errors import FrostError
from custody.frost.refresh import RefreshPackage
from custody.frost.vss import share_matches
from custody.roster import Roster, RosterError

_FIELDS: Final = frozenset({"accused", "accuser", "round1", "sealed", "shared_secret"})
_SECRET_BYTES: Final = 32


class InvalidEvidence(CustodyError):
    """Evidence that proves nothing: malformed, not signed by the accused, or not opening its message."""


def share_evidence(
    accuser: int, identity: NodeIdentity, accused: int, round1: Mapping[str, Any], sealed: Mapping[str, Any]
) -> dict[str, Any]:
    """The evidence that `accused`'s share sealed to node `accuser` (whose identity keys are `identity`;
    `sealed`, as relayed) does not match the commitment in `accused`'s signed round-1 broadcast (`round1`,
    as relayed)."""
    message = SealedMessage.from_json(dict(sealed))
    return {
        "accused": accused,
        "accuser": accuser,
        "round1": dict(round1),
        "sealed": dict(sealed),
        "shared_secret": shared_secret(identity, message).hex(),
    }


def check_share_accusation(roster: Roster, purpose: str, session_id: str, evidence: Any) -> bool:
    """Whether `evidence` proves that its accused dealt its accuser a bad share in session `session_id` of
    `purpose` (``dkg`` or ``refresh``): True if the share misses the accused's commitment (or is not a
    scalar at all), False if it matches (a false accusation); InvalidEvidence if it proves neither."""
    try:
        if not isinstance(evidence, dict) or set(evidence) != _FIELDS:
            raise InvalidEvidence(f"evidence has exactly the fields {sorted(_FIELDS)}")
        accused, accuser = roster.node(evidence["accused"]), roster.node(evidence["accuser"])
        if accused.node_id == accuser.node_id:
            raise InvalidEvidence("a node cannot accuse itself")
        broadcast = SignedBroadcast.from_json(evidence["round1"])
        signed = verify_broadcast(
            broadcast, Binding(purpose, session_id, "round1", accused.node_id), accused.keys
        )
        payload = json.loads(signed)
        if accuser.node_id not in payload["context"]["participants"]:
            raise InvalidEvidence(f"node {accuser.node_id} takes no part in the accused's session")
        commitment = _commitment(purpose, bytes.fromhex(payload["package"]))
        secret = bytes.fromhex(evidence["shared_secret"])
        if len(secret) != _SECRET_BYTES:
            raise InvalidEvidence(f"the shared secret is {_SECRET_BYTES} bytes")
        binding = Binding(purpose, session_id, "round2", accused.node_id, accuser.node_id)
        message = SealedMessage.from_json(evidence["sealed"])
        plain = open_with_shared_secret(message, binding, accused.keys, accuser.keys.x25519, secret)
    except InvalidEvidence:
        raise
    except (EnvelopeError, RosterError, FrostError, ValueError, KeyError, TypeError) as error:
        raise InvalidEvidence(f"the evidence does not verify: {error}") from None
    try:
        share = SecretScalar.from_bytes(plain).value
    except (FrostError, ValueError):
        return True  # the accused signed something that is not a share at all
    return not share_matches(share, accuser.node_id, commitment)


def _commitment(purpose: str, package: bytes) -> tuple[Any, ...]:
    """The full polynomial commitment in a round-1 package of `purpose`."""
    if purpose == "dkg":
        return tuple(Round1Package.from_bytes(package).commitment)
    if purpose == "refresh":
        return tuple(RefreshPackage.from_bytes(package).full_commitment())
    raise InvalidEvidence(f"no share accusations in a {purpose!r} ceremony")
