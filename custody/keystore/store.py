"""`KeyStore`: an open key store, its named records sealed with AES-256-GCM under the store's data key and
written durably, with the lock that serialises threads and processes (see the package's docstring)."""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import json
import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chain.files import canonical_json, fsync_directory, make_private_directory
from custody.errors import (
    KeyStoreClosed,
    KeyStoreError,
    KeyStoreExists,
    KeyStoreNotFound,
    RecordExists,
    RecordNotFound,
    TamperedRecord,
    WeakKdfParameters,
)
from custody.keystore.format import (
    HEADER_FILE,
    KEY_BYTES,
    LEGACY_RECORD_MAGIC,
    LOCK_FILE,
    NONCE_BYTES,
    RECORD_AAD_LABEL,
    RECORD_MAGIC,
    RECORDS_DIR,
    SEALED_AAD_LABEL,
    SEALED_MAGIC,
    STORE_ID_BYTES,
    TMP_PREFIX,
)
from custody.keystore.header import Header, new_kdf, parse_header, seal_data_key, unseal_data_key
from custody.keystore.manifest import MANIFEST_FILE, VERSION_BYTES, Manifest, ManifestFile
from custody.keystore.records import (
    FileStamp,
    check_name,
    check_private,
    file_stamp,
    open_sealed,
    record_file_name,
    record_name,
    write_durably,
)
from custody.keystore.unlock import DEFAULT_SCRYPT, MIN_SCRYPT, ScryptParams, Unlocker


class KeyStore:
    """An open key store: named secret records, sealed at rest, written durably. Use `create` or `open`."""

    def __init__(self, root: Path, header: Header, data_key: bytes, lock_fd: int) -> None:
        """Take over an unlocked store; callers use `KeyStore.create` or `KeyStore.open` instead."""
        self._root = root
        self._records = root / RECORDS_DIR
        self._header = header
        self._data_key: bytes | None = data_key
        self._aead = AESGCM(data_key)
        self._lock_fd = lock_fd
        self._thread_lock = threading.Lock()
        self._manifest = ManifestFile(root, header.store_id)

    # -- lifecycle ---------------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        unlocker: Unlocker,
        *,
        scrypt: ScryptParams = DEFAULT_SCRYPT,
        allow_weak_kdf: bool = False,
    ) -> KeyStore:
        """Make a new, empty store at `path` sealed by `unlocker`, and return it open.

        `path` may be absent or an empty directory. `allow_weak_kdf` admits scrypt costs below `MIN_SCRYPT`
        and exists for tests only.
        """
        root = Path(path)
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise KeyStoreExists(f"{root} is not empty; a key store is created only in a new directory")
        kdf = new_kdf(unlocker, scrypt, allow_weak_kdf)
        data_key = secrets.token_bytes(KEY_BYTES)
        header = seal_data_key(data_key, secrets.token_bytes(STORE_ID_BYTES), kdf, unlocker)
        root.parent.mkdir(parents=True, exist_ok=True)
        make_private_directory(root)
        make_private_directory(root / RECORDS_DIR)
        lock_fd = cls._open_lock_file(root)
        store = cls(root, header, data_key, lock_fd)
        store._manifest.save(store._aead, Manifest())
        # The header goes last: a crash before it leaves a directory that `open` reports as no store.
        write_durably(root / HEADER_FILE, header.to_bytes())
        return store

    @classmethod
    def open(
        cls, path: str | os.PathLike[str], unlocker: Unlocker, *, allow_weak_kdf: bool = False
    ) -> KeyStore:
        """Unlock the store at `path`; raises `WrongPassphrase` at once if `unlocker` does not open it.

        `allow_weak_kdf` admits a store created with scrypt costs below `MIN_SCRYPT`; tests only.
        """
        root = Path(path)
        header_path = root / HEADER_FILE
        if not header_path.is_file():
            raise KeyStoreNotFound(f"no key store at {root}")
        for private in (root, root / RECORDS_DIR, header_path):
            check_private(private)
        header = parse_header(header_path.read_bytes())
        check_private(root / MANIFEST_FILE)
        if header.kdf.scrypt is not None and header.kdf.scrypt.is_weak() and not allow_weak_kdf:
            raise WeakKdfParameters(
                f"the store's scrypt {header.kdf.scrypt} is below the minimum {MIN_SCRYPT}"
            )
        data_key = unseal_data_key(header, unlocker)
        store = cls(root, header, data_key, cls._open_lock_file(root))
        with store._exclusive():
            store._remove_leftover_temporaries()
        return store

    @staticmethod
    def _open_lock_file(root: Path) -> int:
        fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        os.fchmod(fd, 0o600)
        return fd

    def close(self) -> None:
        """Forget the data key and release the lock file; later calls raise `KeyStoreClosed`."""
        with self._thread_lock:
            if self._data_key is not None:
                self._data_key = None
                del self._aead
                os.close(self._lock_fd)

    def __enter__(self) -> KeyStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._data_key is None else "open"
        return f"KeyStore(path={str(self._root)!r}, kdf={self._header.kdf.name!r}, {state})"

    @property
    def path(self) -> Path:
        """The store's directory."""
        return self._root

    @property
    def kdf_name(self) -> str:
        """``"scrypt"`` for a passphrase store, ``"kek-hkdf-sha256"`` for a KEK store."""
        return self._header.kdf.name

    # -- records -----------------------------------------------------------------------------------------

    def put(self, name: str, data: bytes, *, replace: bool = True) -> None:
        """Seal `data` as record `name`, durably; ``replace=False`` raises RecordExists if it is present."""
        check_name(name)
        with self._exclusive() as aead:
            target = self._record_path(name)
            if not replace and target.exists():
                raise RecordExists(name)
            manifest = self._manifest.load(self._aead)
            version = manifest.next_version()
            nonce = secrets.token_bytes(NONCE_BYTES)
            sealed = aead.encrypt(nonce, bytes(data), self._record_aad(name, version))
            # The record first: a crash before the manifest is written leaves a record of a version newer
            # than the manifest knows, which `_read` accepts (and records) as the write it was.
            write_durably(target, RECORD_MAGIC + version.to_bytes(VERSION_BYTES, "big") + nonce + sealed)
            manifest.written(name, version)
            self._manifest.save(self._aead, manifest)

    def get(self, name: str) -> bytes:
        """Record `name`'s content; RecordNotFound if absent, TamperedRecord if it fails authentication."""
        check_name(name)
        with self._exclusive() as aead:
            return self._read(aead, name)

    def put_json(self, name: str, value: Any, *, replace: bool = True) -> None:
        """`put` of a JSON value (canonical encoding: sorted keys, no spaces)."""
        self.put(name, canonical_json(value), replace=replace)

    def get_json(self, name: str) -> Any:
        """`get` of a record written by `put_json`."""
        data = self.get(name)
        try:
            return json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise KeyStoreError(f"key-store record {name!r} does not hold JSON") from None

    def exists(self, name: str) -> bool:
        """Whether record `name` is present (its content is not checked)."""
        check_name(name)
        with self._exclusive():
            return self._record_path(name).is_file()

    def delete(self, name: str, *, missing_ok: bool = False) -> None:
        """Remove record `name`, durably; RecordNotFound if absent unless `missing_ok`."""
        check_name(name)
        with self._exclusive():
            try:
                self._record_path(name).unlink()
            except FileNotFoundError:
                if missing_ok:
                    return
                raise RecordNotFound(name) from None
            fsync_directory(self._records)
            self._forget(name)

    def consume(self, name: str) -> bytes:
        """Remove record `name` and return its content; the removal is on disk before anything is returned.

        Exactly one caller, across threads and processes, gets a record's content; any other gets
        RecordNotFound. A tampered record raises TamperedRecord and stays in place for inspection.
        """
        check_name(name)
        with self._exclusive() as aead:
            content = self._read(aead, name)
            self._record_path(name).unlink()
            fsync_directory(self._records)
            self._forget(name)
            return content

    def stamp(self, name: str) -> FileStamp | None:
        """A cheap fingerprint of record `name` (its file's inode, size, and change and modification times),
        or None when it is absent. Every write replaces the file, so the stamp changes with the content: a
        cache of decoded records can check it instead of reading and decrypting the record on every use."""
        check_name(name)
        try:
            status = os.stat(self._record_path(name))
        except FileNotFoundError:
            return None
        return file_stamp(status)

    def list(self, prefix: str = "") -> builtins.list[str]:
        """Names of the records starting with `prefix`, sorted (e.g. ``list("nonce/")``)."""
        with self._exclusive():
            names = (record_name(entry.name) for entry in os.scandir(self._records))
            return sorted(name for name in names if name is not None and name.startswith(prefix))

    def verify(self) -> builtins.list[str]:
        """Authenticate every record; return the names of those that fail (empty when all is well)."""
        tampered = []
        for name in self.list():
            try:
                self.get(name)
            except TamperedRecord:
                tampered.append(name)
            except RecordNotFound:
                continue  # consumed or deleted by another thread since it was listed
        return tampered

    def seal(self, name: str, data: bytes) -> bytes:
        """`data` sealed under the store's data key and bound to `name` and to this store, for keeping
        elsewhere (a signer node keeps its round-one nonces in its state database this way, so that storing
        or consuming one commits in the same transaction as the rest of its bookkeeping). Writes nothing.

        A sealed value opens only with `unseal` under the same name in the same store; it can never pass
        for a record of the store, nor a record for it (their associated data differ).
        """
        check_name(name)
        aead = self._cipher()
        nonce = secrets.token_bytes(NONCE_BYTES)
        return SEALED_MAGIC + nonce + aead.encrypt(nonce, bytes(data), self._aad(name, SEALED_AAD_LABEL))

    def unseal(self, name: str, sealed: bytes) -> bytes:
        """The content of a value `seal` made under `name`; TamperedRecord if it fails authentication."""
        check_name(name)
        sealed = bytes(sealed)
        if not sealed.startswith(SEALED_MAGIC):
            raise TamperedRecord(name, "unknown sealed-value format")
        return open_sealed(
            self._cipher(), name, sealed[len(SEALED_MAGIC) :], self._aad(name, SEALED_AAD_LABEL)
        )

    def change_unlocker(
        self, new: Unlocker, *, scrypt: ScryptParams = DEFAULT_SCRYPT, allow_weak_kdf: bool = False
    ) -> None:
        """Re-seal the data key under a new passphrase or KEK, rewriting only the header (atomically).

        The records are untouched and the data key is the same, so a saved copy of the old header still
        opens with the old passphrase: destroy such copies, or move the records to a new store instead.
        """
        kdf = new_kdf(new, scrypt, allow_weak_kdf)
        with self._exclusive():
            assert self._data_key is not None  # _exclusive refuses a closed store
            header = seal_data_key(self._data_key, self._header.store_id, kdf, new)
            write_durably(self._root / HEADER_FILE, header.to_bytes())
            self._header = header

    # -- internals ---------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[AESGCM]:
        """Hold the thread lock and the cross-process flock; yield the record cipher."""
        with self._thread_lock:
            if self._data_key is None:
                raise KeyStoreClosed("the key store is closed")
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                yield self._aead
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _record_path(self, name: str) -> Path:
        return self._records / record_file_name(name)

    def _aad(self, name: str, label: bytes = RECORD_AAD_LABEL) -> bytes:
        return label + b"\x00" + self._header.store_id + b"\x00" + name.encode()

    def _cipher(self) -> AESGCM:
        """The record cipher, for work that touches no file (AESGCM is safe to share between threads)."""
        with self._thread_lock:
            if self._data_key is None:
                raise KeyStoreClosed("the key store is closed")
            return self._aead

    def _read(self, aead: AESGCM, name: str) -> bytes:
        """Record `name`'s content, if it authenticates as the current version (lock held)."""
        try:
            sealed = self._record_path(name).read_bytes()
        except FileNotFoundError:
            raise RecordNotFound(name) from None
        if sealed.startswith(LEGACY_RECORD_MAGIC):
            raise TamperedRecord(name, "a format version 1 record in a version 2 store (copied in?)")
        if not sealed.startswith(RECORD_MAGIC) or len(sealed) < len(RECORD_MAGIC) + VERSION_BYTES:
            raise TamperedRecord(name, "unknown record format")
        body = sealed[len(RECORD_MAGIC) :]
        version = int.from_bytes(body[:VERSION_BYTES], "big")
        content = open_sealed(aead, name, body[VERSION_BYTES:], self._record_aad(name, version))
        manifest = self._manifest.load(self._aead)
        if manifest.check(name, version):  # a write whose manifest update a crash cut off
            manifest.written(name, version)
            self._manifest.save(self._aead, manifest)
        return content

    def _record_aad(self, name: str, version: int) -> bytes:
        return self._aad(name) + b"\x00" + version.to_bytes(VERSION_BYTES, "big")

    def _forget(self, name: str) -> None:
        """Mark `name` deleted in the manifest (lock held), so no old copy of it loads again."""
        manifest = self._manifest.load(self._aead)
        entry = manifest.records.get(name)
        manifest.deleted(name, entry.version if entry is not None else manifest.counter)
        self._manifest.save(self._aead, manifest)

    def _remove_leftover_temporaries(self) -> None:
        """Delete temporary files a crash left behind: their rename never happened, nothing refers to them."""
        for directory in (self._root, self._records):
            for entry in os.scandir(directory):
                if entry.name.startswith(TMP_PREFIX):
                    Path(entry.path).unlink(missing_ok=True)
            fsync_directory(directory)
