"""A key store's records as files: the rule for record names and how a name maps to a file name, the durable
write every file of the store goes through, the private-mode check, and opening a sealed value."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chain.files import PRIVATE, write_atomic
from custody.errors import InsecurePermissions, InvalidRecordName, KeyStoreNotFound, TamperedRecord
from custody.keystore.format import NONCE_BYTES, RECORD_SUFFIX, TAG_BYTES, TMP_PREFIX

MAX_NAME_CHARS: Final = 200

FileStamp = tuple[int, int, int, int]
"""A file's inode, size, and change and modification times: every write replaces a file, so it changes."""

# A segment starts with a letter or digit (so no name can look like a temporary or hidden file) and never
# contains "~", which stands for "/" in file names; that keeps the name <-> file-name mapping one to one.
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._:=+-]*"
_NAME_RE: Final = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")


def write_durably(target: Path, data: bytes) -> None:
    """Replace `target` with `data` so that a crash at any point leaves the old content or the new; a
    temporary file a crash leaves behind carries `TMP_PREFIX`, which opening the store sweeps away."""
    write_atomic(target, data, mode=PRIVATE, make_parents=False, temporary_prefix=TMP_PREFIX)


def check_private(path: Path) -> None:
    """Refuse a store whose files others could read or replace (as ssh does with its keys)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyStoreNotFound(f"key store incomplete: {path} is missing") from None
    if stat.S_IMODE(mode) & 0o077:
        raise InsecurePermissions(f"{path} has mode {stat.S_IMODE(mode):04o}; the owner alone may access it")


def record_file_name(name: str) -> str:
    """The file (in ``records/``) that holds record `name`."""
    return name.replace("/", "~") + RECORD_SUFFIX


def record_name(file_name: str) -> str | None:
    """The record a file in ``records/`` holds, or None for any other file (a leftover temporary)."""
    if not file_name.endswith(RECORD_SUFFIX):
        return None
    name = file_name[: -len(RECORD_SUFFIX)].replace("~", "/")
    return name if is_valid_name(name) else None


def is_valid_name(name: str) -> bool:
    """Whether `name` is a record name (see `check_name`)."""
    return len(name) <= MAX_NAME_CHARS and _NAME_RE.fullmatch(name) is not None


def check_name(name: str) -> None:
    """InvalidRecordName unless `name` is '/'-separated segments that map one to one onto file names."""
    if not isinstance(name, str) or not is_valid_name(name):
        raise InvalidRecordName(
            f"record name {str(name)[:MAX_NAME_CHARS]!r} is not '/'-separated segments of [A-Za-z0-9._:=+-] "
            f"starting with a letter or digit, at most {MAX_NAME_CHARS} characters"
        )


def open_sealed(aead: AESGCM, name: str, sealed: bytes, aad: bytes) -> bytes:
    """Decrypt nonce || ciphertext under `aad`; TamperedRecord (naming `name`) if it is not authentic."""
    nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    if len(ciphertext) < TAG_BYTES:
        raise TamperedRecord(name, "record is truncated")
    try:
        return aead.decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise TamperedRecord(name) from None


def file_stamp(status: os.stat_result) -> FileStamp:
    """The stamp of the file `status` describes."""
    return (status.st_ino, status.st_size, status.st_ctime_ns, status.st_mtime_ns)
