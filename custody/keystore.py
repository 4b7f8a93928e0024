"""Encrypted-at-rest storage for a signer node's secrets: named records sealed with AES-256-GCM.

A signer node keeps its FROST key packages (``share/<key_id>``) and its identity keys (``identity``) here; its
round-1 nonces it seals with the store's key (`KeyStore.seal`) and keeps in its state database, where storing
and consuming one commits in the same transaction as its session and policy bookkeeping. The store is
generic: it holds named records of bytes (or JSON); what a record means is the caller's business.

Layout of a store directory (0700; every file 0600)::

    keystore.json        header: format version, store id, KDF parameters, the wrapped data key
    manifest.seal        the sealed manifest: the write counter and each record's current version
    .lock                flock target that serialises writers across processes
    records/<name>.rec   one sealed record per file; "/" in a name becomes "~" in the file name

Keys (`custody.keystore_header`). A random 256-bit *data key* seals the records. The header keeps it
wrapped (AES-256-GCM) under a *wrapping key* derived either from an operator passphrase with scrypt, or from
a 32-byte key-encryption key (KEK; 64 hex digits or base64, e.g. the output of ``openssl rand -hex 32``, read
from a file or the environment: `custody.node.settings`) through HKDF-SHA256. Unwrapping is the key check:
a wrong passphrase or KEK fails GCM authentication and raises `WrongPassphrase` at open, never a garbage
decrypt later. Changing the passphrase rewrites only the header; it does not rotate the data key, so a copy
of the old header still opens with the old passphrase.

scrypt cost: the default n=2**17, r=8, p=1 takes about 0.45 s and 128 MiB per open on the project's
two-core machine; the minimum accepted is n=2**15 (about 0.1 s, 32 MiB). Lower costs exist for tests only
and must be asked for with ``allow_weak_kdf=True``.

Records. Each write seals the content under a fresh random 96-bit nonce with associated data binding the
format version, this store's random id, the record's name and its version (the next number of a store-wide
write counter), so a record copied to another name or into another store fails authentication
(`TamperedRecord` naming the record) and is never overwritten by the failed read, and an older copy of a
record put back in place (restored from a backup) is refused (`RolledBackRecord`) because the sealed
manifest knows the current version (`custody.keystore_manifest`). Values sealed for keeping elsewhere
(`KeyStore.seal`) are bound to name and store under another label, without a version (whoever keeps them
versions them). A random nonce per write or seal stays far inside AES-GCM's 2**32-messages-per-key bound
for any signer's lifetime of writes.

Format versions. Version 2 (records carry their version; the manifest) is the one written. A version 1 store
(records without versions, no manifest) is refused at open with `KeyStoreNeedsMigration`; migrate it once,
with the node stopped, by `custody.keystore_migrate.migrate_store` (``tpw-custody migrate-keystores``).

Durability. `KeyStore.put`, `KeyStore.delete`, `KeyStore.consume` and `KeyStore.change_unlocker` have taken
effect on disk when they return, and survive a crash of the process at any later point: writes go to a
temporary file in the same directory, are fsynced, renamed over the target with ``os.replace`` and the
directory is fsynced. A crash mid-write leaves the old value or the new one, never a torn record; leftover
temporary files are removed at the next open. `KeyStore.consume` removes a record durably *before* it
returns the content, so a nonce handed out once can never be handed out again, even after ``kill -9``.

Concurrency. One `KeyStore` object may be shared by threads (an internal lock), and several processes may
open the same store (every operation holds an exclusive ``flock`` on ``.lock``): `KeyStore.consume` hands a
record to exactly one caller.

Python cannot reliably wipe memory: `KeyStore.close` drops the data key's only reference, which is the most
this layer can do. Secrets never appear in reprs or exception messages; record names are not secret.
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import json
import os
import re
import secrets
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chain.files import PRIVATE, canonical_json, fsync_directory, make_private_directory, write_atomic
from custody.errors import (
    InsecurePermissions,
    InvalidRecordName,
    KeyStoreClosed,
    KeyStoreCorrupt,
    KeyStoreError,
    KeyStoreExists,
    KeyStoreNotFound,
    RecordExists,
    RecordNotFound,
    TamperedRecord,
    WeakKdfParameters,
)
from custody.keystore_header import (
    DEFAULT_SCRYPT,
    FORMAT_NAME,
    FORMAT_VERSION,
    KEK_ENV_VAR,
    KEY_BYTES,
    LEGACY_FORMAT_VERSION,
    MIN_PASSPHRASE_CHARS,
    MIN_SCRYPT,
    NONCE_BYTES,
    STORE_ID_BYTES,
    TAG_BYTES,
    Kek,
    Passphrase,
    ScryptParams,
    Unlocker,
    _Header,
    _new_kdf,
    _parse_header,
    _seal_data_key,
    _unseal_data_key,
)
from custody.keystore_manifest import MANIFEST_FILE, MANIFEST_MAGIC, VERSION_BYTES, Manifest

__all__ = [
    "DEFAULT_SCRYPT",
    "FORMAT_VERSION",
    "HEADER_FILE",
    "KEK_ENV_VAR",
    "MIN_PASSPHRASE_CHARS",
    "MIN_SCRYPT",
    "Kek",
    "KeyStore",
    "Passphrase",
    "ScryptParams",
    "Unlocker",
]

HEADER_FILE: Final = "keystore.json"
LOCK_FILE: Final = ".lock"
RECORDS_DIR: Final = "records"
RECORD_SUFFIX: Final = ".rec"
TMP_PREFIX: Final = ".tmp-"
MAX_NAME_CHARS: Final = 200

RECORD_MAGIC: Final = b"TPWK" + bytes([FORMAT_VERSION])
LEGACY_RECORD_MAGIC: Final = b"TPWK" + bytes([LEGACY_FORMAT_VERSION])
SEALED_MAGIC: Final = LEGACY_RECORD_MAGIC
"""Values `KeyStore.seal` makes keep the version 1 layout: they live elsewhere, with their own versioning."""
_RECORD_AAD_LABEL: Final = f"{FORMAT_NAME}/v{FORMAT_VERSION}/record".encode()
_MANIFEST_AAD_LABEL: Final = f"{FORMAT_NAME}/v{FORMAT_VERSION}/manifest".encode()
LEGACY_RECORD_AAD_LABEL: Final = f"{FORMAT_NAME}/v1/record".encode()
_SEALED_AAD_LABEL: Final = f"{FORMAT_NAME}/v1/sealed".encode()  # unchanged by version 2

# A segment starts with a letter or digit (so no name can look like a temporary or hidden file) and never
# contains "~", which stands for "/" in file names; that keeps the name <-> file-name mapping one to one.
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._:=+-]*"
_NAME_RE: Final = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")


def _write_durably(target: Path, data: bytes) -> None:
    """Replace `target` with `data` so that a crash at any point leaves the old content or the new; a
    temporary file a crash leaves behind carries `TMP_PREFIX`, which opening the store sweeps away."""
    write_atomic(target, data, mode=PRIVATE, make_parents=False, temporary_prefix=TMP_PREFIX)


def _check_private(path: Path) -> None:
    """Refuse a store whose files others could read or replace (as ssh does with its keys)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyStoreNotFound(f"key store incomplete: {path} is missing") from None
    if stat.S_IMODE(mode) & 0o077:
        raise InsecurePermissions(f"{path} has mode {stat.S_IMODE(mode):04o}; the owner alone may access it")


def _record_file_name(name: str) -> str:
    return name.replace("/", "~") + RECORD_SUFFIX


def _record_name(file_name: str) -> str | None:
    if not file_name.endswith(RECORD_SUFFIX):
        return None
    name = file_name[: -len(RECORD_SUFFIX)].replace("~", "/")
    return name if _is_valid_name(name) else None


def _is_valid_name(name: str) -> bool:
    return len(name) <= MAX_NAME_CHARS and _NAME_RE.fullmatch(name) is not None


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _is_valid_name(name):
        raise InvalidRecordName(
            f"record name {str(name)[:MAX_NAME_CHARS]!r} is not '/'-separated segments of [A-Za-z0-9._:=+-] "
            f"starting with a letter or digit, at most {MAX_NAME_CHARS} characters"
        )


class KeyStore:
    """An open key store: named secret records, sealed at rest, written durably. Use `create` or `open`."""

    def __init__(self, root: Path, header: _Header, data_key: bytes, lock_fd: int) -> None:
        """Take over an unlocked store; callers use `KeyStore.create` or `KeyStore.open` instead."""
        self._root = root
        self._records = root / RECORDS_DIR
        self._header = header
        self._data_key: bytes | None = data_key
        self._aead = AESGCM(data_key)
        self._lock_fd = lock_fd
        self._thread_lock = threading.Lock()
        self._manifest: tuple[tuple[int, int, int, int], Manifest] | None = None
        """The manifest as last read or written, with the stamp of its file then (another process may
        write it: a changed stamp means read it again)."""

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
        kdf = _new_kdf(unlocker, scrypt, allow_weak_kdf)
        data_key = secrets.token_bytes(KEY_BYTES)
        header = _seal_data_key(data_key, secrets.token_bytes(STORE_ID_BYTES), kdf, unlocker)
        root.parent.mkdir(parents=True, exist_ok=True)
        make_private_directory(root)
        make_private_directory(root / RECORDS_DIR)
        lock_fd = cls._open_lock_file(root)
        store = cls(root, header, data_key, lock_fd)
        store._save_manifest(Manifest())
        # The header goes last: a crash before it leaves a directory that `open` reports as no store.
        _write_durably(root / HEADER_FILE, header.to_bytes())
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
            _check_private(private)
        header = _parse_header(header_path.read_bytes())
        _check_private(root / MANIFEST_FILE)
        if header.kdf.scrypt is not None and header.kdf.scrypt.is_weak() and not allow_weak_kdf:
            raise WeakKdfParameters(
                f"the store's scrypt {header.kdf.scrypt} is below the minimum {MIN_SCRYPT}"
            )
        data_key = _unseal_data_key(header, unlocker)
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
        _check_name(name)
        with self._exclusive() as aead:
            target = self._record_path(name)
            if not replace and target.exists():
                raise RecordExists(name)
            manifest = self._load_manifest()
            version = manifest.next_version()
            nonce = secrets.token_bytes(NONCE_BYTES)
            sealed = aead.encrypt(nonce, bytes(data), self._record_aad(name, version))
            # The record first: a crash before the manifest is written leaves a record of a version newer
            # than the manifest knows, which `_read` accepts (and records) as the write it was.
            _write_durably(target, RECORD_MAGIC + version.to_bytes(VERSION_BYTES, "big") + nonce + sealed)
            manifest.written(name, version)
            self._save_manifest(manifest)

    def get(self, name: str) -> bytes:
        """Record `name`'s content; RecordNotFound if absent, TamperedRecord if it fails authentication."""
        _check_name(name)
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
        _check_name(name)
        with self._exclusive():
            return self._record_path(name).is_file()

    def delete(self, name: str, *, missing_ok: bool = False) -> None:
        """Remove record `name`, durably; RecordNotFound if absent unless `missing_ok`."""
        _check_name(name)
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
        _check_name(name)
        with self._exclusive() as aead:
            content = self._read(aead, name)
            self._record_path(name).unlink()
            fsync_directory(self._records)
            self._forget(name)
            return content

    def stamp(self, name: str) -> tuple[int, int, int, int] | None:
        """A cheap fingerprint of record `name` (its file's inode, size, and change and modification times),
        or None when it is absent. Every write replaces the file, so the stamp changes with the content: a
        cache of decoded records can check it instead of reading and decrypting the record on every use."""
        _check_name(name)
        try:
            status = os.stat(self._record_path(name))
        except FileNotFoundError:
            return None
        return (status.st_ino, status.st_size, status.st_ctime_ns, status.st_mtime_ns)

    def list(self, prefix: str = "") -> builtins.list[str]:
        """Names of the records starting with `prefix`, sorted (e.g. ``list("nonce/")``)."""
        with self._exclusive():
            names = (_record_name(entry.name) for entry in os.scandir(self._records))
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
        _check_name(name)
        aead = self._cipher()
        nonce = secrets.token_bytes(NONCE_BYTES)
        return SEALED_MAGIC + nonce + aead.encrypt(nonce, bytes(data), self._aad(name, _SEALED_AAD_LABEL))

    def unseal(self, name: str, sealed: bytes) -> bytes:
        """The content of a value `seal` made under `name`; TamperedRecord if it fails authentication."""
        _check_name(name)
        sealed = bytes(sealed)
        if not sealed.startswith(SEALED_MAGIC):
            raise TamperedRecord(name, "unknown sealed-value format")
        return self._open(
            self._cipher(), name, sealed[len(SEALED_MAGIC) :], self._aad(name, _SEALED_AAD_LABEL)
        )

    def change_unlocker(
        self, new: Unlocker, *, scrypt: ScryptParams = DEFAULT_SCRYPT, allow_weak_kdf: bool = False
    ) -> None:
        """Re-seal the data key under a new passphrase or KEK, rewriting only the header (atomically).

        The records are untouched and the data key is the same, so a saved copy of the old header still
        opens with the old passphrase: destroy such copies, or move the records to a new store instead.
        """
        kdf = _new_kdf(new, scrypt, allow_weak_kdf)
        with self._exclusive():
            assert self._data_key is not None  # _exclusive refuses a closed store
            header = _seal_data_key(self._data_key, self._header.store_id, kdf, new)
            _write_durably(self._root / HEADER_FILE, header.to_bytes())
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
        return self._records / _record_file_name(name)

    def _aad(self, name: str, label: bytes = _RECORD_AAD_LABEL) -> bytes:
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
        content = self._open(aead, name, body[VERSION_BYTES:], self._record_aad(name, version))
        manifest = self._load_manifest()
        if manifest.check(name, version):  # a write whose manifest update a crash cut off
            manifest.written(name, version)
            self._save_manifest(manifest)
        return content

    def _open(self, aead: AESGCM, name: str, sealed: bytes, aad: bytes) -> bytes:
        """Decrypt nonce || ciphertext under `aad`; TamperedRecord (naming `name`) if it is not authentic."""
        nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        if len(ciphertext) < TAG_BYTES:
            raise TamperedRecord(name, "record is truncated")
        try:
            return aead.decrypt(nonce, ciphertext, aad)
        except InvalidTag:
            raise TamperedRecord(name) from None

    def _record_aad(self, name: str, version: int) -> bytes:
        return self._aad(name) + b"\x00" + version.to_bytes(VERSION_BYTES, "big")

    def _load_manifest(self) -> Manifest:
        """The current manifest (lock held): the cached one while its file is unchanged, else read again."""
        path = self._root / MANIFEST_FILE
        try:
            status = os.stat(path)
        except FileNotFoundError:
            raise KeyStoreCorrupt(f"the key store's manifest {path} is missing") from None
        stamp = (status.st_ino, status.st_size, status.st_ctime_ns, status.st_mtime_ns)
        if self._manifest is not None and self._manifest[0] == stamp:
            return self._manifest[1]
        sealed = path.read_bytes()
        if not sealed.startswith(MANIFEST_MAGIC):
            raise KeyStoreCorrupt("the key store's manifest has an unknown format")
        try:
            plain = self._open(self._aead, MANIFEST_FILE, sealed[len(MANIFEST_MAGIC) :], self._manifest_aad())
        except TamperedRecord:
            raise KeyStoreCorrupt("the key store's manifest fails authentication") from None
        manifest = Manifest.from_bytes(plain)
        self._manifest = (stamp, manifest)
        return manifest

    def _save_manifest(self, manifest: Manifest) -> None:
        """Write `manifest` durably (lock held) and remember it."""
        path = self._root / MANIFEST_FILE
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, manifest.to_bytes(), self._manifest_aad())
        _write_durably(path, MANIFEST_MAGIC + nonce + sealed)
        status = os.stat(path)
        self._manifest = ((status.st_ino, status.st_size, status.st_ctime_ns, status.st_mtime_ns), manifest)

    def _manifest_aad(self) -> bytes:
        return _MANIFEST_AAD_LABEL + b"\x00" + self._header.store_id

    def _forget(self, name: str) -> None:
        """Mark `name` deleted in the manifest (lock held), so no old copy of it loads again."""
        manifest = self._load_manifest()
        entry = manifest.records.get(name)
        manifest.deleted(name, entry.version if entry is not None else manifest.counter)
        self._save_manifest(manifest)

    def _remove_leftover_temporaries(self) -> None:
        """Delete temporary files a crash left behind: their rename never happened, nothing refers to them."""
        for directory in (self._root, self._records):
            for entry in os.scandir(directory):
                if entry.name.startswith(TMP_PREFIX):
                    Path(entry.path).unlink(missing_ok=True)
            fsync_directory(directory)
