"""A book made durable: group commit in front of the engine, snapshots behind it, replay at open.

`submit` takes a batch of commands (the caller gathers what arrived while the previous batch was being
written: that is the group in group commit), journals them with one fsync, then applies them and returns
their events: the events are the acknowledgements, and none exists before the batch is durable. Writing
before applying keeps the book in memory never ahead of the journal. Every `snapshot_every` commands a
snapshot is written after the batch that crosses the mark.

`open` restores the newest good snapshot and replays the journal records after it; as the engine is
deterministic, the book is the one every acknowledged command built, with the same state hash as a
replay from the first record.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from chain.files import make_private_directory
from matching.engine import Command, Engine, Event, state_hash
from matching.journal.log import Journal
from matching.journal.snapshots import load_latest, write_snapshot

JOURNAL_NAME = "journal.log"


class JournaledBook:
    """One market's engine with its journal and snapshots in `directory` (the book's single writer)."""

    def __init__(
        self, directory: Path, engine: Engine, journal: Journal, snapshot_seq: int, every: int
    ) -> None:
        self.directory = directory
        self.engine = engine
        self.journal = journal
        self.snapshot_seq = snapshot_seq
        self.snapshot_every = every
        self.replayed = 0

    @classmethod
    def open(cls, directory: Path, *, snapshot_every: int = 100_000) -> JournaledBook:
        """Open the book in `directory` (created if new): newest good snapshot, then the journal's tail."""
        make_private_directory(directory, parents=True)
        journal = Journal(directory / JOURNAL_NAME)
        seq, engine = load_latest(directory)
        if seq > journal.last_seq:
            raise RuntimeError(
                f"snapshot {seq} is ahead of the journal ({journal.last_seq}): wrong directory?"
            )
        book = cls(directory, engine, journal, seq, snapshot_every)
        for _, cmd in journal.since(seq):
            engine.process(cmd)
            book.replayed += 1
        journal.records = []  # replayed: the engine holds their effect now
        return book

    @property
    def last_seq(self) -> int:
        """The sequence number of the last durable (and applied) command."""
        return self.journal.last_seq

    def submit(self, commands: Sequence[Command]) -> list[list[Event]]:
        """Journal `commands` durably (one fsync), apply them, and return each one's events."""
        if not commands:
            return []
        self.journal.append(commands)
        process = self.engine.process
        results = [process(cmd) for cmd in commands]
        if self.journal.last_seq - self.snapshot_seq >= self.snapshot_every:
            self.snapshot()
        return results

    def snapshot(self) -> Path:
        """Write a snapshot of the book as of the last durable command now."""
        path = write_snapshot(self.directory, self.journal.last_seq, self.engine)
        self.snapshot_seq = self.journal.last_seq
        return path

    def state_hash(self) -> str:
        """The engine's state hash (see `matching.engine.state`)."""
        return state_hash(self.engine)

    def close(self) -> None:
        """Close the journal."""
        self.journal.close()
