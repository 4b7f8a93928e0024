"""The DKG as a `SharingScheme`: a new group key, no dealer, each node ending with one share of it.

FROST KeyGen (`custody.frost.dkg_part1..3`): each participant deals a random polynomial with a proof of
knowledge of its constant term. A DKG never overwrites a key: the key id must be new on every participant.
A group key the contracts cannot verify under aborts the session (GroupKeyUnusable); the coordinator then
runs a new one.
"""

from collections.abc import Mapping
from typing import Any

from custody.errors import RecordExists
from custody.frost import (
    KeyPackage,
    PublicKeyPackage,
    Round1Package,
    SecretScalar,
    dkg_part1,
    dkg_part2,
    dkg_part3,
    dkg_transcript,
)
from custody.frost.pedersen import Round1SecretPackage, Round2SecretPackage
from custody.keystore import KeyStore
from custody.node.ceremonies.sharing import SharingRequest
from custody.node.records.shares import StoredKey, find_key, save_key
from custody.protocol.errors import KeyExists, MalformedRequest


class DkgScheme:
    """Distributed key generation of a fresh `threshold`-of-`participants` key."""

    purpose = "dkg"
    decode = staticmethod(Round1Package.from_bytes)
    """A peer's Round1Package."""
    deal = staticmethod(dkg_part2)
    """Check every proof of knowledge (naming failures), then deal."""
    transcript = staticmethod(dkg_transcript)
    """The confirmation hash over every commitment and the resulting public key package."""

    def context(
        self, request: SharingRequest, participants: list[int], current: StoredKey | None
    ) -> dict[str, Any]:
        """Key id, threshold and participants; KeyExists if this node already holds the key id."""
        if current is not None:
            raise KeyExists(f"this node already holds a share of key {request.key_id!r}")
        threshold = request.threshold
        if (
            not isinstance(threshold, int)
            or isinstance(threshold, bool)
            or not 2 <= threshold <= len(participants)
        ):
            raise MalformedRequest(f"the threshold must be an integer in [2, {len(participants)}]")
        return {
            "kind": self.purpose,
            "key_id": request.key_id,
            "threshold": threshold,
            "participants": participants,
        }

    def start(
        self, identifier: int, context: Mapping[str, Any], current: StoredKey | None
    ) -> tuple[Round1SecretPackage, Round1Package]:
        """dkg_part1: a random polynomial and its commitment with a proof of knowledge."""
        return dkg_part1(identifier, len(context["participants"]), context["threshold"])

    def finish(
        self,
        secret: Round2SecretPackage,
        packages: Mapping[int, Round1Package],
        received: Mapping[int, SecretScalar],
        current: StoredKey | None,
    ) -> tuple[KeyPackage, PublicKeyPackage]:
        """dkg_part3: check the received shares (naming cheaters) and derive the key."""
        return dkg_part3(secret, packages, received)

    def current(self, store: KeyStore, context: Mapping[str, Any]) -> StoredKey | None:
        """A DKG builds on no earlier share."""
        return None

    def activate(self, store: KeyStore, new: StoredKey, context: Mapping[str, Any]) -> None:
        """Store the new share; never over another share of the same key id."""
        try:
            save_key(store, new, replace=False)
        except RecordExists:
            existing = find_key(store, new.key_id)
            if existing is None or existing.ceremony != new.ceremony:
                raise KeyExists(f"this node already holds a share of key {new.key_id!r}") from None
