"""Share refresh as a `SharingScheme`: new shares of the same group key; old shares stop combining with new.

Each participant deals a random sharing of zero (`custody.frost.refresh_part1..3`) and adds what it receives
to its share. Key holders left out of the participants are dropped from the key.

Activation is two-phase, so that a refresh cut short can never leave fewer than the threshold of nodes
holding shares of one generation. Once every participant confirmed, the refreshed share is only *prepared*
(`custody.node.records.shares`): the old share stays active and both can sign, each when a request names its
key version. The coordinator commits (`commit_refresh`: the prepared share becomes the active one, the old
one is gone) only after at least the threshold of nodes acknowledged the prepared generation, or aborts
(`rollback_refresh`: the prepared share is deleted). Both are idempotent and survive restarts, so a
coordinator that crashed can drive either again. While a share is prepared the key takes no other ceremony.
"""

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
from custody.node.ceremonies.sharing import SharingRequest
from custody.node.records.shares import StoredKey, find_key, find_prepared, prepared_record, save_key
from custody.protocol.errors import (
    CeremonyAborted,
    KeyBusy,
    KeyVersionMismatch,
    MalformedRequest,
    SessionUsed,
    UnknownKey,
    UnknownSession,
)


class RefreshScheme:
    """Proactive refresh of an existing key among some or all of its holders."""

    purpose = "refresh"
    decode = staticmethod(RefreshPackage.from_bytes)
    """A peer's RefreshPackage."""
    deal = staticmethod(refresh_part2)
    """Each peer's zero-share."""
    transcript = staticmethod(refresh_transcript)
    """The confirmation hash over every commitment and the refreshed public key package."""

    def __init__(self, store: KeyStore) -> None:
        self._store = store

    def context(
        self, request: SharingRequest, participants: list[int], current: StoredKey | None
    ) -> dict[str, Any]:
        """Key id, its threshold, the participants and the exact key generation being refreshed."""
        if current is None:
            raise UnknownKey(f"this node holds no share of key {request.key_id!r}")
        if request.key_version != current.version:
            raise KeyVersionMismatch(request.key_id, str(request.key_version), [current.version])
        require_nothing_prepared(self._store, request.key_id)
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
            "refreshes": current.version,
        }

    def start(
        self, identifier: int, context: Mapping[str, Any], current: StoredKey | None
    ) -> tuple[Round1SecretPackage, RefreshPackage]:
        """refresh_part1: a random polynomial with a zero constant term."""
        return refresh_part1(_require(current).key_package, len(context["participants"]))

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

    def current(self, store: KeyStore, context: Mapping[str, Any]) -> StoredKey | None:
        """The share being refreshed, which must still be the generation round 1 started from."""
        current = find_key(store, context["key_id"])
        if current is None or current.version != context["refreshes"]:
            raise CeremonyAborted((), "this node's share of the key changed since round 1")
        return current

    def activate(self, store: KeyStore, new: StoredKey, context: Mapping[str, Any]) -> None:
        """Prepare the refreshed share next to the active one, in one durable write; it becomes active only
        on `commit_refresh`. A repeat for the same ceremony changes nothing."""
        prepared = find_prepared(store, new.key_id)
        if prepared is not None and prepared.ceremony == new.ceremony:
            return
        self.current(store, context)
        require_nothing_prepared(store, new.key_id)
        store.put_json(prepared_record(new.key_id), new.to_json(), replace=False)


def require_nothing_prepared(store: KeyStore, key_id: str) -> None:
    """KeyBusy while a refreshed share of `key_id` awaits its commit or abort."""
    prepared = find_prepared(store, key_id)
    if prepared is not None:
        raise KeyBusy(
            f"refresh {prepared.ceremony!r} of key {key_id!r} is prepared on this node and awaits its commit "
            "or abort"
        )


def commit_refresh(store: KeyStore, key_id: str, session_id: str, version: str) -> StoredKey:
    """Make the share prepared by refresh `session_id` the active share of `key_id` (the old one is gone).

    Idempotent: committing again a refresh already committed returns the active share. The active record is
    replaced before the prepared one is deleted, so a crash in between leaves the refresh committed.
    """
    prepared = find_prepared(store, key_id)
    if prepared is not None and prepared.ceremony == session_id:
        if prepared.version != version:
            raise KeyVersionMismatch(key_id, version, [prepared.version])
        save_key(store, prepared, replace=True)
        store.delete(prepared_record(key_id), missing_ok=True)
        return prepared
    active = find_key(store, key_id)
    if active is not None and active.ceremony == session_id:
        if active.version != version:
            raise KeyVersionMismatch(key_id, version, [active.version])
        return active
    raise UnknownSession(f"no refresh {session_id!r} of key {key_id!r} is prepared on this node")


def rollback_refresh(store: KeyStore, key_id: str, session_id: str) -> bool:
    """Delete the share prepared by refresh `session_id` (the old share stays active); False if there is
    none. SessionUsed if that refresh was committed here: a committed refresh is never rolled back."""
    active = find_key(store, key_id)
    if active is not None and active.ceremony == session_id:
        raise SessionUsed(f"refresh {session_id!r} of key {key_id!r} was committed; it cannot be rolled back")
    prepared = find_prepared(store, key_id)
    if prepared is None or prepared.ceremony != session_id:
        return False
    store.delete(prepared_record(key_id), missing_ok=True)
    return True


def _require(current: StoredKey | None) -> StoredKey:
    if current is None:
        raise UnknownKey("a refresh needs the node's current share")
    return current
