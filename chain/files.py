"""Shared file I/O: atomic, durable writes, private directories and canonical JSON.

`write_atomic` writes a temporary file beside the target (created exclusively, with the final mode from the
start, so a private file is never readable by others even for a moment), fsyncs it, renames it over the
target and then fsyncs the directory, so that after a crash at any point the target is either the old file
or the complete new one, and a completed rename survives power loss. Files whose presence means something
(a roster says "the group is complete") need that last step as much as secret ones do. A file that can be
rebuilt from another (an index) may skip the fsyncs with ``durable=False``: it stays atomic.

`canonical_json` is the one encoding every signature and hash covers (sorted keys, no spaces, ASCII), so
the same value gives the same bytes everywhere. It lives in `chain/` because `chain` is imported by
`custody` and `api`, never the other way round.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any, Final

PRIVATE: Final = 0o600
PUBLIC: Final = 0o644
PRIVATE_DIRECTORY: Final = 0o700


def canonical_json(value: Any, *, allow_nan: bool = True) -> bytes:
    """`value` as canonical JSON: sorted keys, no spaces, ASCII only; one encoding per value.

    ``allow_nan=False`` refuses NaN and the infinities (not JSON at all) instead of writing them.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=allow_nan
    ).encode()


def fsync_directory(directory: Path) -> None:
    """Make a rename, a new entry or a removal in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_private_directory(directory: Path, *, parents: bool = False, durable: bool = True) -> None:
    """Create `directory` (or tighten an existing one) as 0700, readable by its owner only.

    The mode is set again after creation because the umask may have narrowed it; with `durable` the new
    entry is fsynced into the parent directory.
    """
    directory.mkdir(mode=PRIVATE_DIRECTORY, parents=parents, exist_ok=True)
    directory.chmod(PRIVATE_DIRECTORY)
    if durable:
        fsync_directory(directory.parent)


def write_atomic(
    path: Path,
    data: bytes,
    *,
    mode: int = PRIVATE,
    durable: bool = True,
    make_parents: bool = True,
    temporary_prefix: str | None = None,
) -> None:
    """Replace `path` with `data` atomically (and durably unless told not to), as a file of `mode`.

    The temporary file is named ``.<name>.<random>.tmp``, or ``<temporary_prefix><random>`` for a caller
    that sweeps leftovers by prefix (the key store). It is removed again if anything fails before the
    rename, so a crash or an error leaves the old file in place. Missing parent directories are created
    (with the umask's mode) unless ``make_parents=False``: a store whose directory vanished should fail.
    """
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    if temporary_prefix is None:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    else:
        temporary = path.with_name(f"{temporary_prefix}{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        try:
            os.fchmod(fd, mode)  # the umask may have narrowed `mode` at creation
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if durable:
        fsync_directory(path.parent)
