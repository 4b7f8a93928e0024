"""The key store's manifest: which version of each record is current, so an older copy of a record is refused.

A record sealed under the store's key authenticates its name and its store, but nothing in it says whether it
is the *latest* write of that name: a record file copied back from a backup (an old share from before a
refresh, a ceremony session from before it finished) would decrypt as well as the current one. So every write
takes the next number of a store-wide counter as the record's version, the version is in the record's
associated data (it cannot be changed without the data key), and the manifest — itself sealed, in
``manifest.seal`` — keeps the counter and, per name, the version last written and whether the record was
deleted since. A record is read only if its version is the manifest's, or newer than every version the
manifest knows: that one is a write whose manifest update a crash cut off (the record is written first), and
nobody without the data key can make a record of a future version.

What this layer cannot see is the whole store restored at once (manifest and records together): that is a
rollback of the node, for its state database and the audit log's exported heads to catch.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from custody.errors import KeyStoreCorrupt, TamperedRecord
from custody.keystore.format import MANIFEST_AAD_LABEL, NONCE_BYTES
from custody.keystore.records import FileStamp, file_stamp, open_sealed, write_durably

MANIFEST_FILE: Final = "manifest.seal"
MANIFEST_MAGIC: Final = b"TPWM\x02"
VERSION_BYTES: Final = 8


class RolledBackRecord(TamperedRecord):
    """A record that authenticates but is not the current version of its name: an older copy put back."""


@dataclass
class Entry:
    """The version of a name last written, and whether it was deleted since."""

    version: int
    live: bool


@dataclass
class Manifest:
    """The store-wide write counter and each name's latest version."""

    counter: int = 0
    records: dict[str, Entry] = field(default_factory=dict)

    def next_version(self) -> int:
        """The version the next write takes."""
        return self.counter + 1

    def written(self, name: str, version: int) -> None:
        """Record that `name` now holds `version`."""
        self.counter = max(self.counter, version)
        self.records[name] = Entry(version, live=True)

    def deleted(self, name: str, version: int) -> None:
        """Record that `name` (last at `version`) was deleted: its old files must never load again."""
        self.records[name] = Entry(version, live=False)

    def check(self, name: str, version: int) -> bool:
        """Whether a record of `name` at `version` may be read; True also for a write a crash left out of
        the manifest (the caller then updates it). RolledBackRecord for an older or deleted copy."""
        entry = self.records.get(name)
        if entry is not None and entry.live and entry.version == version:
            return False
        if version > self.counter:
            return True
        if entry is None or not entry.live:
            state = "was deleted" if entry is not None else "is not in this store's manifest"
            raise RolledBackRecord(
                name, f"its version {version} {state}: an old copy (restored from a backup?) is refused"
            )
        raise RolledBackRecord(
            name,
            f"it is version {version} but the current one is version {entry.version}: "
            "an old copy (restored from a backup?) is refused",
        )

    def to_bytes(self) -> bytes:
        """Canonical JSON."""
        records = {name: [entry.version, entry.live] for name, entry in sorted(self.records.items())}
        return json.dumps({"counter": self.counter, "records": records}, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        """Parse `to_bytes` output; KeyStoreCorrupt otherwise."""
        try:
            value: Any = json.loads(data)
            counter = value["counter"]
            records = {
                name: Entry(int(version), bool(live)) for name, (version, live) in value["records"].items()
            }
        except (ValueError, KeyError, TypeError, AttributeError):
            raise KeyStoreCorrupt("the key store's manifest does not parse") from None
        if type(counter) is not int or any(entry.version > counter for entry in records.values()):
            raise KeyStoreCorrupt("the key store's manifest is inconsistent")
        return cls(counter, records)


class ManifestFile:
    """A store's ``manifest.seal``: the manifest sealed under the store's data key, cached with the stamp of
    its file (another process may write it: a changed stamp means read it again). Callers hold the store's
    lock and pass its cipher, so that closing the store leaves no other reference to the key."""

    def __init__(self, root: Path, store_id: bytes) -> None:
        self._path = root / MANIFEST_FILE
        self._aad = MANIFEST_AAD_LABEL + b"\x00" + store_id
        self._cached: tuple[FileStamp, Manifest] | None = None

    def load(self, aead: AESGCM) -> Manifest:
        """The current manifest: the cached one while its file is unchanged, else read again."""
        try:
            stamp = file_stamp(os.stat(self._path))
        except FileNotFoundError:
            raise KeyStoreCorrupt(f"the key store's manifest {self._path} is missing") from None
        if self._cached is not None and self._cached[0] == stamp:
            return self._cached[1]
        sealed = self._path.read_bytes()
        if not sealed.startswith(MANIFEST_MAGIC):
            raise KeyStoreCorrupt("the key store's manifest has an unknown format")
        try:
            plain = open_sealed(aead, MANIFEST_FILE, sealed[len(MANIFEST_MAGIC) :], self._aad)
        except TamperedRecord:
            raise KeyStoreCorrupt("the key store's manifest fails authentication") from None
        manifest = Manifest.from_bytes(plain)
        self._cached = (stamp, manifest)
        return manifest

    def save(self, aead: AESGCM, manifest: Manifest) -> None:
        """Write `manifest` durably and remember it."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        write_durably(
            self._path, MANIFEST_MAGIC + nonce + aead.encrypt(nonce, manifest.to_bytes(), self._aad)
        )
        self._cached = (file_stamp(os.stat(self._path)), manifest)
