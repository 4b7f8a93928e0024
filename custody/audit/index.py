"""A seq -> byte-offset index of a JSON-lines audit log, so a page of records costs reading that page.

`custody.audit.FileAuditStore` keeps the log as one record per line, record ``seq`` on line ``seq``. This
index is a sidecar file (``<log>.idx``) of 8-byte big-endian offsets, entry ``i`` (from 0) holding where
line ``i + 1`` starts. Reading records ``after_seq + 1 ..`` is then one 8-byte read and one read of the page's
bytes, however long the log is; nothing parses the whole file per request.

The index is derived data, never trusted blindly:

- It catches up by itself: every read first indexes the lines appended since (by this process, by the
  coordinator it hosts, or by another process such as ``python -m api.apikeys``), scanning only the new
  bytes. A torn final line (an append cut off) is not indexed until it is whole or cut off.
- Crash-safe without fsync: entries are appended after the lines they point at exist, a partial entry left
  by a crash is cut off when the index is opened, and `open` verifies the index against the log (the first
  entry, the last indexed record's seq, and that the record before it is the one its ``prev_hash`` names)
  and rebuilds it from the log when anything disagrees: a missing or damaged index, a log that was
  restored, replaced or truncated, an index that got ahead of a log that lost its unsynced tail.
- Every record read is checked to carry the seq its position promises; a mismatch (the log was edited
  under the index) rebuilds the index once, and if it persists the log is corrupt (`AuditLogCorrupt`).

Writers of one process share a lock, and processes sharing a log share an exclusive ``flock`` on the index
for catching up and rebuilding; readers only ever see whole entries of lines that exist.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Final

from chain.files import PRIVATE, write_atomic
from custody.audit.record import AuditRecord
from custody.errors import AuditLogCorrupt

ENTRY_BYTES: Final = 8
INDEX_SUFFIX: Final = ".idx"
_SCAN_CHUNK: Final = 1 << 20
_MAX_OFFSET: Final = 2**63 - 1


def index_path_for(log_path: str | os.PathLike[str]) -> Path:
    """Where the index of the log at `log_path` lives: next to it, ``.idx`` appended."""
    path = Path(log_path)
    return path.with_name(path.name + INDEX_SUFFIX)


class AuditIndex:
    """The offsets of a JSON-lines audit log's records; `open` it, then `read` pages."""

    def __init__(self, log_path: str | os.PathLike[str]) -> None:
        self.log_path = Path(log_path)
        self.path = index_path_for(self.log_path)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AuditIndex({str(self.log_path)!r})"

    @classmethod
    def open(cls, log_path: str | os.PathLike[str]) -> AuditIndex:
        """The index of the log at `log_path`, verified against it (rebuilt if it disagrees) and caught up."""
        index = cls(log_path)
        index.verify_or_rebuild()
        return index

    # -- reading ------------------------------------------------------------------------------------------

    def count(self) -> int:
        """How many whole records the log holds, after indexing any appended since the last call."""
        with self._lock, self._exclusive():
            return self._catch_up()

    def read(self, after_seq: int, limit: int) -> list[AuditRecord]:
        """Up to `limit` records with seq > `after_seq`, oldest first (none past the log's end)."""
        if after_seq < 0 or limit < 1:
            raise ValueError("after_seq is at least 0 and limit at least 1")
        for attempt in range(2):
            last = min(self.count(), after_seq + limit)
            if last <= after_seq:
                return []
            try:
                return self._read_lines(after_seq + 1, last)
            except AuditLogCorrupt:
                if attempt:
                    raise
                self.rebuild()  # the log changed under the index (restored, edited): index it afresh
        raise AssertionError("unreachable")

    def _read_lines(self, first: int, last: int) -> list[AuditRecord]:
        """Records `first` to `last` (lines of the log), each checked to be well-formed and in its place."""
        with self.path.open("rb") as index:
            start = self._entry(index, first)
            end = self._entry(index, last + 1) if last < self._entries(index) else None
        if end is not None and end < start:  # a tampered index: never read the whole log on its word
            raise AuditLogCorrupt(f"the audit index's entries for lines {first} to {last + 1} run backwards")
        with self.log_path.open("rb") as log:
            log.seek(start)
            data = log.read() if end is None else log.read(end - start)
        lines = data.split(b"\n")
        records = []
        for seq, line in zip(range(first, last + 1), lines, strict=False):
            try:
                record = AuditRecord.parse(line)
            except ValueError as exc:
                raise AuditLogCorrupt(f"audit record at line {seq} is malformed: {exc}") from None
            if record.seq != seq:
                raise AuditLogCorrupt(f"line {seq} of the audit log holds seq {record.seq}")
            records.append(record)
        if len(records) != last - first + 1:
            raise AuditLogCorrupt(f"the audit log ends before line {last}")
        return records

    @staticmethod
    def _entries(index: BinaryIO) -> int:
        return os.fstat(index.fileno()).st_size // ENTRY_BYTES

    @staticmethod
    def _entry(index: BinaryIO, line: int) -> int:
        """The offset where `line` (from 1) starts."""
        raw = os.pread(index.fileno(), ENTRY_BYTES, (line - 1) * ENTRY_BYTES)
        if len(raw) != ENTRY_BYTES:
            raise AuditLogCorrupt(f"the audit index has no entry for line {line}")
        offset = int.from_bytes(raw, "big")
        if offset > _MAX_OFFSET:
            raise AuditLogCorrupt(f"the audit index's entry for line {line} is no file offset")
        return offset

    # -- keeping it in step -------------------------------------------------------------------------------

    def verify_or_rebuild(self) -> bool:
        """Check the index against the log; rebuild it when they disagree. True when it was rebuilt."""
        with self._lock, self._exclusive():
            if self._consistent():
                self._catch_up()
                return False
            self._rebuild()
            return True

    def rebuild(self) -> None:
        """Index the whole log afresh (at start when the index disagrees with it; never per request)."""
        with self._lock, self._exclusive():
            self._rebuild()

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """An exclusive flock on a lock file beside the index, so processes sharing the log take turns."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _indexed(self) -> tuple[int, int]:
        """(entries, offset where the line after the last indexed one starts); a partial entry is cut off."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return 0, 0
        if size % ENTRY_BYTES:
            os.truncate(self.path, size - size % ENTRY_BYTES)  # a crash cut an entry short
        entries = size // ENTRY_BYTES
        if entries == 0:
            return 0, 0
        with self.path.open("rb") as index:
            last_start = self._entry(index, entries)
        with self.log_path.open("rb") as log:
            if last_start >= os.fstat(log.fileno()).st_size:
                raise AuditLogCorrupt("the audit index points past the end of the log")
            log.seek(last_start)
            line = log.readline()
        if not line.endswith(b"\n"):
            raise AuditLogCorrupt("the last indexed audit line is not whole")
        return entries, last_start + len(line)

    def _consistent(self) -> bool:
        """Whether the index matches the log: first entry 0, last indexed record in place and chained to
        the record before it, nothing indexed beyond the log's end."""
        try:
            entries, end = self._indexed()
            if not self.log_path.exists():
                return entries == 0
            if entries == 0 or end > self.log_path.stat().st_size:
                return entries == 0
            with self.path.open("rb") as index:
                if self._entry(index, 1) != 0:
                    return False
            tail = self._read_lines(max(1, entries - 1), entries)
        except (AuditLogCorrupt, OSError):
            return False
        return len(tail) == 1 or tail[1].prev_hash == tail[0].hash

    def _catch_up(self) -> int:
        """Index every whole line appended after the indexed ones; the number of lines indexed now."""
        try:
            entries, end = self._indexed()
        except AuditLogCorrupt:
            return self._rebuild()
        try:
            size = self.log_path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size < end:  # the log shrank under the index: it was replaced or truncated
            return self._rebuild()
        if size == end:
            return entries
        starts = self._line_starts(end, size)
        if starts:  # 0600 like the log: line lengths say something about the records
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "ab") as index:
                index.write(b"".join(start.to_bytes(ENTRY_BYTES, "big") for start in starts))
        return entries + len(starts)

    def _line_starts(self, begin: int, end: int) -> list[int]:
        """Where each whole line in the log's bytes [begin, end) starts (a torn last line is left out)."""
        starts: list[int] = []
        line_start = begin
        with self.log_path.open("rb") as log:
            log.seek(begin)
            position = begin
            while position < end:
                chunk = log.read(min(_SCAN_CHUNK, end - position))
                if not chunk:
                    break
                cut = chunk.find(b"\n")
                while cut != -1:
                    starts.append(line_start)
                    line_start = position + cut + 1
                    cut = chunk.find(b"\n", cut + 1)
                position += len(chunk)
        return starts

    def _rebuild(self) -> int:
        """Write a new index of the whole log beside the old one, then swap it in; its number of lines."""
        try:
            size = self.log_path.stat().st_size
        except FileNotFoundError:
            size = 0
        starts = self._line_starts(0, size) if size else []
        entries = b"".join(start.to_bytes(ENTRY_BYTES, "big") for start in starts)
        write_atomic(self.path, entries, mode=PRIVATE, durable=False)  # rebuilt again if lost in a crash
        return len(starts)
