"""The append-only command journal: one file per book, appended in batches, each batch fsync'd once.

Group commit is what makes a durable journal fast: a batch of commands costs one `write` and one `fsync`,
however many commands it holds, and no command of the batch is acknowledged before that fsync returns.
Opening a journal reads it whole, truncates a torn tail (the last batch of a crash, never acknowledged)
and carries on numbering after the last whole record.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Generic, TypeVar

from chain.files import fsync_directory
from matching.engine import Command
from matching.journal.codec import decode_command, decode_frames, encode_command, encode_frame

T = TypeVar("T")


class RecordLog(Generic[T]):
    """An open log file of entries that `encode` turns into integer lists (and `decode` back), positioned
    for appending; `last_seq` is the last durable record (0: none). `Journal` is the book's."""

    def __init__(
        self, path: Path, encode: Callable[[T], list[int]], decode: Callable[[list[int]], T]
    ) -> None:
        """Open (or create) the log at `path`, dropping a torn tail; `records` holds what was read."""
        self.path = path
        self._encode = encode
        created = not path.exists()
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        if created:
            fsync_directory(path.parent)
        with open(path, "rb") as f:
            data = f.read()
        self.records, end = decode_frames(data, decode)
        if end < len(data):
            os.ftruncate(self._fd, end)
            os.fsync(self._fd)
        os.lseek(self._fd, end, os.SEEK_SET)
        self.last_seq = self.records[-1][0] if self.records else 0
        self.torn_bytes = len(data) - end

    def append(self, commands: Sequence[T]) -> int:
        """Write `commands` as one batch and fsync it; return the sequence number of the last one.

        When this returns, every command of the batch survives a crash or power loss; before, none of them
        may be acknowledged.
        """
        first = self.last_seq + 1
        data = b"".join(encode_frame(first + i, self._encode(cmd)) for i, cmd in enumerate(commands))
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        os.fsync(self._fd)
        self.last_seq = first + len(commands) - 1
        return self.last_seq

    def since(self, seq: int) -> Iterable[tuple[int, T]]:
        """The records read at open whose sequence number is above `seq`."""
        return (record for record in self.records if record[0] > seq)

    def close(self) -> None:
        """Close the file (appending after this fails)."""
        os.close(self._fd)


class Journal(RecordLog[Command]):
    """A book's command journal (`matching.journal.codec`'s command records)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, encode_command, decode_command)
