"""Where audit records live: the `AuditStore` protocol, and `FileAuditStore`, JSON lines in one file.

Appends are serialised with an exclusive file lock and made durable with group commit (one fsync serves
every append that waited for it); the tail is read back to chain the next record and to find an append a
crash cut off.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol, TypeVar

from chain.files import fsync_directory
from custody.errors import AuditError

_TAIL_READ_CHUNK: Final = 8192
_T = TypeVar("_T")


@dataclass(frozen=True)
class StoredTail:
    """What an append needs from storage: the last complete entry, and any torn bytes after it."""

    last: bytes | None
    torn: bytes | None = None
    torn_offset: int | None = None


@dataclass(frozen=True)
class StoredEntry:
    """One stored entry: its 1-based position (line number in a file), bytes, and whether it is complete."""

    line: int
    data: bytes
    complete: bool = True


class AuditStore(Protocol):
    """Where the log lives: appends serialised across all writers, entries read back in order."""

    def append(self, compose: Callable[[StoredTail], tuple[bytes | None, _T]], *, durable: bool = True) -> _T:
        """Under a lock that excludes every other writer, call `compose` with the current tail.

        If it returns an entry, store it (dropping any torn bytes first) before returning: durably, or with
        ``durable=False`` so that it survives a crash of the process and becomes durable with the next
        durable append; if it returns None, change nothing. Return `compose`'s second value.
        """
        ...

    def entries(self) -> Iterator[StoredEntry]:
        """Every entry in storage order; a torn final entry comes with ``complete=False``."""
        ...


class FileAuditStore:
    """A JSON-lines file, 0600, appended with O_APPEND under an exclusive ``flock`` and fsynced before each
    durable append returns.

    Each append opens its own descriptor, so the flock serialises threads of one process as well as
    separate processes (flock locks belong to open file descriptions, not to processes). The flock covers
    reading the tail and writing the record; the fsync comes after it, and appends of one process that are
    waiting for the disk at the same time share one fsync (group commit): the fsync a thread starts after
    its own write covers every write finished before it started, its own and the others', and no append
    returns before an fsync started after its write has finished.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._sync = threading.Condition()
        self._written = 0  # appends of this object whose write has finished
        self._synced = 0  # ... of which an fsync made this many durable
        self._syncing = False

    def __repr__(self) -> str:
        return f"FileAuditStore({str(self.path)!r})"

    def append(self, compose: Callable[[StoredTail], tuple[bytes | None, _T]], *, durable: bool = True) -> _T:
        """See `AuditStore.append`."""
        existed = self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            tail = self._read_tail(fd)
            entry, result = compose(tail)
            if entry is None:
                return result
            if b"\n" in entry:
                raise AuditError("an audit entry must be a single line")
            if tail.torn_offset is not None:
                os.ftruncate(fd, tail.torn_offset)
            view = memoryview(entry + b"\n")
            while view:
                view = view[os.write(fd, view) :]
            with self._sync:
                self._written += 1
                ticket = self._written
            fcntl.flock(fd, fcntl.LOCK_UN)  # the next writer may append while this one waits for the disk
            if durable:
                self._sync_through(fd, ticket)
        finally:
            os.close(fd)  # releases the flock if still held
        if not existed:
            fsync_directory(self.path.parent)  # the new log's entry is durable too
        return result

    def _sync_through(self, fd: int, ticket: int) -> None:
        """Return once the write numbered `ticket` is on disk: fsync, or wait for an fsync that covers it."""
        while True:
            with self._sync:
                while self._syncing and self._synced < ticket:
                    self._sync.wait()
                if self._synced >= ticket:
                    return
                self._syncing = True
                covered = self._written  # every one of these writes finished before the fsync starts
            try:
                os.fsync(fd)  # fsync flushes the file, whichever descriptor wrote it
            except BaseException:
                with self._sync:
                    self._syncing = False
                    self._sync.notify_all()
                raise
            with self._sync:
                self._synced = max(self._synced, covered)
                self._syncing = False
                self._sync.notify_all()

    def entries(self) -> Iterator[StoredEntry]:
        """See `AuditStore.entries`; a missing file has no entries."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            for number, raw in enumerate(handle, start=1):
                complete = raw.endswith(b"\n")
                yield StoredEntry(line=number, data=raw[:-1] if complete else raw, complete=complete)

    @staticmethod
    def _read_tail(fd: int) -> StoredTail:
        """Read backwards from the end just far enough to find the last complete line and any torn bytes."""
        size = os.fstat(fd).st_size
        start, chunk = size, b""
        while start > 0 and chunk.count(b"\n") < 2:
            step = min(start, max(_TAIL_READ_CHUNK, len(chunk)))
            start -= step
            chunk = os.pread(fd, step, start) + chunk
        if not chunk:
            return StoredTail(last=None)
        torn = torn_offset = None
        if not chunk.endswith(b"\n"):
            cut = chunk.rfind(b"\n") + 1
            torn, torn_offset, chunk = chunk[cut:], start + cut, chunk[:cut]
        if not chunk:
            return StoredTail(last=None, torn=torn, torn_offset=torn_offset)
        body = chunk[:-1]
        return StoredTail(last=body[body.rfind(b"\n") + 1 :], torn=torn, torn_offset=torn_offset)
