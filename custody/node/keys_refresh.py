"""Share refresh as a `SharingScheme`: new shares of the same group key; old shares stop combining with new.

Each participant deals a random sharing of zero (`custody.frost.refresh_part1..3`) and adds what it receives
to its share. The old share stays in use until every participant has confirmed the refreshed key, and is
then replaced in one durable write. Key holders left out of the participants are dropped from the key.
"""

import hashlib
from collections.abc import Mapping
from typing import Any

from custody.frost import (
    KeyPackage,
    PublicKeyPackage,
    RefreshPackage,
    SecretScalar,
    refresh_part1,
    refresh_part2,
    refresh_part3,
    refresh_transcript,
)
from custody.frost.pedersen import Round1SecretPackage, Round2SecretPackage
from custody.keystore import KeyStore
from custody.node.errors import MalformedRequest, UnknownKey
from custody.node.keys_errors import CeremonyAborted
from custody.node.keys_shares import StoredKey, find_key, save_key
from custody.node.keys_sharing import SharingRequest


def key_fingerprint(public_key_package: PublicKeyPackage) -> str:
    """SHA-256 of the public key package: which generation of a key's shares a refresh starts from."""
    return hashlib.sha256(public_key_package.to_bytes()).hexdigest()


class RefreshScheme:
    """Proactive refresh of an existing key among some or all of its holders."""

    purpose = "refresh"

    def context(
        self, request: SharingRequest, participants: list[int], current: StoredKey | None
    ) -> dict[str, Any]:
        """Key id, its threshold, the participants and the exact key generation being refreshed."""
        if current is None:
            raise UnknownKey(f"this node holds no share of key {request.key_id!r}")
        threshold = current.key_package.min_signers
        if request.threshold is not None and request.threshold != threshold:
            raise MalformedRequest(f"a refresh keeps the key's threshold of {threshold}")
        strangers = sorted(set(participants) - set(current.holders))
        if strangers:
            raise MalformedRequest(f"nodes {strangers} hold no share of key {request.key_id!r}")
        if len(participants) < threshold:
            raise MalformedRequest(f"a refresh needs at least the threshold of {threshold} participants")
        return {
            "kind": self.purpose,
            "key_id": request.key_id,
            "threshold": threshold,
            "participants": participants,
            "group_public_key": current.key_package.group_public_key.to_bytes().hex(),
            "refreshes": key_fingerprint(current.public_key_package),
        }

    def start(
        self, identifier: int, context: Mapping[str, Any], current: StoredKey | None
    ) -> tuple[Round1SecretPackage, RefreshPackage]:
        """refresh_part1: a random polynomial with a zero constant term."""
        return refresh_part1(_require(current).key_package, len(context["participants"]))

    def decode(self, data: bytes) -> RefreshPackage:
        """A peer's RefreshPackage."""
        return RefreshPackage.from_bytes(data)

    def deal(
        self, secret: Round1SecretPackage, packages: Mapping[int, RefreshPackage]
    ) -> tuple[Round2SecretPackage, dict[int, SecretScalar]]:
        """refresh_part2: each peer's zero-share."""
        return refresh_part2(secret, packages)

    def finish(
        self,
        secret: Round2SecretPackage,
        packages: Mapping[int, RefreshPackage],
        received: Mapping[int, SecretScalar],
        current: StoredKey | None,
    ) -> tuple[KeyPackage, PublicKeyPackage]:
        """refresh_part3: check the zero-shares (naming cheaters) and derive the refreshed share."""
        old = _require(current)
        return refresh_part3(secret, packages, received, old.key_package, old.public_key_package)

    def transcript(
        self,
        secret: Round2SecretPackage,
        packages: Mapping[int, RefreshPackage],
        public_key_package: PublicKeyPackage,
        session: bytes,
    ) -> bytes:
        """refresh_transcript over every commitment and the refreshed public key package."""
        return refresh_transcript(secret, packages, public_key_package, session)

    def current(self, store: KeyStore, context: Mapping[str, Any]) -> StoredKey | None:
        """The share being refreshed, which must still be the generation round 1 started from."""
        current = find_key(store, context["key_id"])
        if current is None or key_fingerprint(current.public_key_package) != context["refreshes"]:
            raise CeremonyAborted((), "this node's share of the key changed since round 1")
        return current

    def activate(self, store: KeyStore, new: StoredKey, context: Mapping[str, Any]) -> None:
        """Replace the old share by the refreshed one in one durable write (a repeat changes nothing)."""
        existing = find_key(store, new.key_id)
        if existing is not None and existing.ceremony == new.ceremony:
            return
        self.current(store, context)
        save_key(store, new, replace=True)


def _require(current: StoredKey | None) -> StoredKey:
    if current is None:
        raise UnknownKey("a refresh needs the node's current share")
    return current
