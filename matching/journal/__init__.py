"""Durability for a book: an input journal with group commit, periodic snapshots and replay.

The engine is deterministic, so its commands are its state: a command is written and fsync'd (batched
with its neighbours) before it is acknowledged; a snapshot now and then bounds how much a restart has to
replay; `JournaledBook.open` rebuilds the book from the latest good snapshot and the journal's tail.
"""

from matching.journal.book import JournaledBook
from matching.journal.codec import JournalCorrupt, decode_command, encode_command
from matching.journal.committer import GroupCommitter
from matching.journal.log import Journal

__all__ = ["GroupCommitter", "Journal", "JournalCorrupt", "JournaledBook", "decode_command", "encode_command"]
