"""Atomic, durable file writes for custody state: a reader sees the old file or the new one, never a torn one.

`write_atomic` writes a temporary file beside the target (created exclusively, with the final mode from the
start, so a private file is never readable by others even for a moment), fsyncs it, renames it over the
target and then fsyncs the directory, so that after a crash at any point the target is either the old file
or the complete new one, and a completed rename survives power loss. Files whose presence means something
(a roster says "the group is complete") need that last step as much as secret ones do.
"""

import os
import secrets
from pathlib import Path
from typing import Final

PRIVATE: Final = 0o600
PUBLIC: Final = 0o644


def fsync_directory(directory: Path) -> None:
    """Make a rename or a new entry in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, *, mode: int = PRIVATE) -> None:
    """Replace `path` with `data` atomically and durably, as a file of `mode` (private by default)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        os.fchmod(fd, mode)  # the umask may have narrowed `mode` at creation
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        temporary.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(temporary, path)
    fsync_directory(path.parent)
