"""One-off migration of a key store from format version 1 (records without versions) to version 2.

Version 2 binds each record's version into its associated data and keeps a sealed manifest of the current
versions (`custody.keystore.manifest`), so a record restored from a backup is refused. A version 1 store has
neither, and `KeyStore.open` refuses it (`KeyStoreNeedsMigration`) rather than guess. `migrate_store` reads
every version 1 record (each must authenticate), writes them into a new version 2 store next to it with the
same store id and data key (the passphrase or KEK stays the same), and swaps the directories: the old
directory is renamed aside, the new one into place, and the old one deleted. A crash leaves either the old
store (run the migration again: a half-built new one is discarded) or the new one (nothing to do), or, between
the two renames, the old one aside, which the next run puts back first. Run it with the node stopped.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chain.files import fsync_directory, make_private_directory
from custody.errors import KeyStoreCorrupt, KeyStoreNotFound, TamperedRecord
from custody.keystore.format import (
    FORMAT_VERSION,
    HEADER_FILE,
    LEGACY_RECORD_AAD_LABEL,
    LEGACY_RECORD_MAGIC,
    NONCE_BYTES,
    RECORDS_DIR,
)
from custody.keystore.header import parse_header, seal_data_key, unseal_data_key
from custody.keystore.manifest import Manifest, ManifestFile
from custody.keystore.records import record_name, write_durably
from custody.keystore.store import KeyStore
from custody.keystore.unlock import Unlocker

_STAGING_SUFFIX: Final = ".migrating"
_ASIDE_SUFFIX: Final = ".v1"


def _sibling(root: Path, suffix: str) -> Path:
    return root.with_name(f".{root.name}{suffix}")


def format_version(path: str | os.PathLike[str]) -> int:
    """The format version a store's header states; KeyStoreNotFound without a header."""
    header = Path(path) / HEADER_FILE
    try:
        version = json.loads(header.read_bytes())["version"]
    except FileNotFoundError:
        raise KeyStoreNotFound(f"no key store at {Path(path)}") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise KeyStoreCorrupt(f"{header} is not a key-store header") from None
    if type(version) is not int:
        raise KeyStoreCorrupt(f"{header} states no format version")
    return version


def migrate_store(path: str | os.PathLike[str], unlocker: Unlocker) -> int:
    """Migrate the version 1 store at `path` to version 2 in place; the number of records carried over
    (0 if it is a version 2 store already). WrongPassphrase if `unlocker` does not open it, TamperedRecord
    naming any record that does not authenticate (nothing is changed then)."""
    root = Path(path)
    aside, staging = _sibling(root, _ASIDE_SUFFIX), _sibling(root, _STAGING_SUFFIX)
    if not root.exists() and aside.exists():
        os.replace(aside, root)  # a crash between the two renames: the old store goes back first
    if format_version(root) == FORMAT_VERSION:
        shutil.rmtree(aside, ignore_errors=True)
        return 0
    header = parse_header((root / HEADER_FILE).read_bytes(), legacy=True)
    data_key = unseal_data_key(header, unlocker)
    records = _read_legacy_records(root, AESGCM(data_key), header.store_id)
    shutil.rmtree(staging, ignore_errors=True)
    make_private_directory(staging)
    make_private_directory(staging / RECORDS_DIR)
    new_header = seal_data_key(data_key, header.store_id, header.kdf, unlocker)
    ManifestFile(staging, header.store_id).save(AESGCM(data_key), Manifest())
    store = KeyStore(staging, new_header, data_key, KeyStore._open_lock_file(staging))
    try:
        for name, content in sorted(records.items()):
            store.put(name, content)
        write_durably(staging / HEADER_FILE, new_header.to_bytes())
    finally:
        store.close()
    os.replace(root, aside)
    os.replace(staging, root)
    fsync_directory(root.parent)
    shutil.rmtree(aside)
    return len(records)


def _read_legacy_records(root: Path, aead: AESGCM, store_id: bytes) -> dict[str, bytes]:
    """Every version 1 record of the store at `root`, decrypted; TamperedRecord at the first bad one."""
    records: dict[str, bytes] = {}
    for entry in os.scandir(root / RECORDS_DIR):
        name = record_name(entry.name)
        if name is None:
            continue  # a temporary file a crash left behind
        sealed = Path(entry.path).read_bytes()
        if not sealed.startswith(LEGACY_RECORD_MAGIC):
            raise TamperedRecord(name, "not a format version 1 record")
        body = sealed[len(LEGACY_RECORD_MAGIC) :]
        aad = LEGACY_RECORD_AAD_LABEL + b"\x00" + store_id + b"\x00" + name.encode()
        try:
            records[name] = aead.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], aad)
        except InvalidTag:
            raise TamperedRecord(name) from None
    return records
