"""A signer node's key shares at rest: key-store record ``share/<key_id>``, one per group key it holds.

The record holds the node's FROST KeyPackage (its secret share), the group's PublicKeyPackage (every
verifying share, which the coordinator needs to check signature shares) and the id of the ceremony that made
the share (a DKG, refresh or repair session), so a repeated confirmation of that ceremony is recognised as
already applied. Only a ceremony that every participant confirmed writes a record here; a pending key lives
in its session record until then. Signing reads the record through `generation`. What this module raises
says what the store holds (no share, no share of that version, an invalid key id); the node's services
answer it with the protocol's refusals (`custody.node.refusals`).

A generation of a key's shares is named by its *key version* (`custody.protocol.ids.key_version`). A refresh
is two-phase: once every participant confirmed, the refreshed share is *prepared* in record
``prepared/<key_id>`` next to the active one, and only a separate commit makes it the active share (an abort
deletes it). Until then the node holds both generations and signs with whichever a request names
(`generation`), so a refresh cut short at any point leaves every node with a share of one generation that at
least the threshold of nodes hold.
"""

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from custody.errors import CustodyError, RecordNotFound
from custody.frost import KeyPackage, PublicKeyPackage
from custody.frost.errors import FrostError
from custody.keystore import KeyStore
from custody.protocol.ids import KEY_ID_PATTERN, is_key_id, key_version

SHARE_PREFIX: Final = "share/"
PREPARED_PREFIX: Final = "prepared/"
_FIELDS: Final = frozenset({"key_id", "key_package", "public_key_package", "ceremony"})


class InvalidKeyId(CustodyError):
    """A key id that is not 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit."""


class NoShare(CustodyError):
    """This node holds no share of the key (`held` is empty), or none of the generation asked for (`held`
    lists the key versions it holds)."""

    def __init__(self, key_id: str, version: str = "", held: Sequence[str] = ()) -> None:
        of_version = f" of key version {version}" if held else ""
        super().__init__(f"this node holds no share{of_version} of key {key_id!r}")
        self.key_id = key_id
        self.version = version
        self.held = list(held)


def require_key_id(key_id: Any) -> str:
    """`key_id` if it is a key id (`custody.protocol.ids.KEY_ID_PATTERN`); InvalidKeyId otherwise."""
    if not is_key_id(key_id):
        raise InvalidKeyId(f"a key id is 1-64 characters matching {KEY_ID_PATTERN.strip('^$')}")
    return str(key_id)


@dataclass(frozen=True)
class StoredKey:
    """One node's share of one group key, with the group's public view of the key."""

    key_id: str
    key_package: KeyPackage
    public_key_package: PublicKeyPackage
    ceremony: str

    def __post_init__(self) -> None:
        require_key_id(self.key_id)
        own = self.key_package
        group = self.public_key_package
        if (
            group.verifying_shares.get(own.identifier) != own.verifying_share
            or group.group_public_key != own.group_public_key
            or group.min_signers != own.min_signers
        ):
            raise ValueError("the key package and the public key package do not belong together")

    @functools.cached_property
    def version(self) -> str:
        """This generation's key version (`key_version`)."""
        return key_version(self.public_key_package)

    @property
    def holders(self) -> list[int]:
        """The node ids holding a share of this key."""
        return list(self.public_key_package.verifying_shares)

    def to_json(self) -> dict[str, str]:
        """The record's content (secret: goes only into the key store)."""
        return {
            "key_id": self.key_id,
            "key_package": self.key_package.to_bytes().hex(),
            "public_key_package": self.public_key_package.to_bytes().hex(),
            "ceremony": self.ceremony,
        }

    @classmethod
    def from_json(cls, value: Any) -> "StoredKey":
        """Parse a record written by `to_json`, re-checking every part of both packages."""
        if not isinstance(value, dict) or set(value) != _FIELDS:
            raise ValueError(f"a share record has exactly the fields {sorted(_FIELDS)}")
        try:
            key_package = KeyPackage.from_bytes(bytes.fromhex(value["key_package"]))
            public_key_package = PublicKeyPackage.from_bytes(bytes.fromhex(value["public_key_package"]))
        except (FrostError, TypeError, ValueError):
            raise ValueError("a share record holds an unreadable key package") from None
        return cls(value["key_id"], key_package, public_key_package, value["ceremony"])


def share_record(key_id: str) -> str:
    """The key-store record name of the share of `key_id`."""
    return SHARE_PREFIX + require_key_id(key_id)


def prepared_record(key_id: str) -> str:
    """The key-store record name of the refreshed share of `key_id` awaiting commit."""
    return PREPARED_PREFIX + require_key_id(key_id)


def find_record(store: KeyStore, name: str) -> StoredKey | None:
    """The share stored under record `name` (`share_record` or `prepared_record`), or None."""
    try:
        value = store.get_json(name)
    except RecordNotFound:
        return None
    return StoredKey.from_json(value)


def find_key(store: KeyStore, key_id: str) -> StoredKey | None:
    """This node's active share of `key_id`, or None when it holds none."""
    return find_record(store, share_record(key_id))


def find_prepared(store: KeyStore, key_id: str) -> StoredKey | None:
    """This node's refreshed share of `key_id` awaiting commit or abort, or None."""
    return find_record(store, prepared_record(key_id))


def generation(
    store: KeyStore, key_id: str, version: str, *, read: Callable[[str], StoredKey | None] | None = None
) -> StoredKey:
    """This node's share of `key_id` of key version `version`: the active one or the prepared one.

    NoShare when it holds no share of the key, or (naming the versions it holds) none of that version, e.g.
    because the asker's copy of the key is stale. `read` reads a record by name (default `find_record`; the
    signing service passes its cache).
    """
    held: list[StoredKey] = []
    for name in (share_record(key_id), prepared_record(key_id)):
        stored = read(name) if read is not None else find_record(store, name)
        if stored is not None and stored.version == version:
            return stored
        held += [stored] if stored is not None else []
    raise NoShare(key_id, version, [stored.version for stored in held])


def load_key(store: KeyStore, key_id: str) -> StoredKey:
    """This node's share of `key_id`; NoShare when it holds none."""
    stored = find_key(store, key_id)
    if stored is None:
        raise NoShare(key_id)
    return stored


def save_key(store: KeyStore, stored: StoredKey, *, replace: bool) -> None:
    """Write the share durably; with ``replace=False`` an existing share of the key raises RecordExists."""
    store.put_json(share_record(stored.key_id), stored.to_json(), replace=replace)
