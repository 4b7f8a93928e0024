"""Every signing session a node has opened and how it ended, in the node's SQLite state file.

The nonce itself lives in the key store (``nonce/<session_id>``) and is what makes signing safe: it is
consumed, durably, before a share is computed. This book is the non-secret bookkeeping around it, so a node
can tell a session it never saw (404) from one that is over (409: a replay), refuse a second round one
under a session id ever used before, and say how each session ended. Losing its last few writes in a power
cut (WAL mode, ``synchronous=NORMAL``) cannot make a nonce usable twice: the key store decides that.

A session is ``open`` from round one until round two or the sweeper closes it as ``signed``, ``refused``,
``expired`` or ``abandoned`` (its nonce was lost to a restart). Closed sessions are forgotten after a
retention period; a replay older than that is answered as unknown, which refuses it just the same.
"""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

from custody.errors import CustodyError

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS signing_session (
    session_id  TEXT PRIMARY KEY,
    key_id      TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    digest      TEXT NOT NULL,
    state       TEXT NOT NULL,
    opened_at   INTEGER NOT NULL,
    closed_at   INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS signing_session_open ON signing_session (state, opened_at);
"""


class SessionState(StrEnum):
    """Where a session stands."""

    OPEN = "open"
    SIGNED = "signed"
    REFUSED = "refused"
    EXPIRED = "expired"
    ABANDONED = "abandoned"


class SessionBookError(CustodyError):
    """The session book cannot be opened or written."""


class DuplicateSession(SessionBookError):
    """A session id that was used before."""


@dataclass(frozen=True)
class SessionRecord:
    """One session as the book knows it (times are Unix seconds)."""

    session_id: str
    key_id: str
    request_id: str
    digest: str
    state: SessionState
    opened_at: int
    closed_at: int | None


class SessionBook:
    """The sessions table of ``state.sqlite``; safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as error:
            raise SessionBookError(f"cannot open the session book at {path}: {error}") from None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _cursor(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            try:
                yield self._db.cursor()
            except sqlite3.IntegrityError:
                raise
            except sqlite3.Error as error:
                raise SessionBookError(f"session book: {error}") from None

    def open(self, session_id: str, key_id: str, request_id: str, digest: str, now: int) -> None:
        """Record a new open session; DuplicateSession if the id was ever used (and is still remembered)."""
        try:
            with self._cursor() as cursor:
                cursor.execute(
                    "INSERT INTO signing_session VALUES (?, ?, ?, ?, ?, ?, NULL)",
                    (session_id, key_id, request_id, digest, SessionState.OPEN, now),
                )
        except sqlite3.IntegrityError:
            raise DuplicateSession(f"session {session_id!r} was used before") from None

    def get(self, session_id: str) -> SessionRecord | None:
        """The session, or None if the book has no such session."""
        with self._cursor() as cursor:
            row = cursor.execute(
                "SELECT session_id, key_id, request_id, digest, state, opened_at, closed_at "
                "FROM signing_session WHERE session_id = ?",
                (session_id,),
            ).fetchone()
        if row is None:
            return None
        return SessionRecord(row[0], row[1], row[2], row[3], SessionState(row[4]), row[5], row[6])

    def close_session(self, session_id: str, state: SessionState, now: int) -> bool:
        """Move an open session to `state`; False if it was not open (another request closed it first)."""
        if state is SessionState.OPEN:
            raise SessionBookError("a session is closed into a final state, not reopened")
        with self._cursor() as cursor:
            cursor.execute(
                "UPDATE signing_session SET state = ?, closed_at = ? WHERE session_id = ? AND state = ?",
                (state, now, session_id, SessionState.OPEN),
            )
            return cursor.rowcount == 1

    def open_sessions(self, opened_before: int | None = None) -> list[str]:
        """Ids of the open sessions (only those opened before `opened_before`, if given), oldest first."""
        with self._cursor() as cursor:
            rows = cursor.execute(
                "SELECT session_id FROM signing_session WHERE state = ? AND opened_at < ? ORDER BY opened_at",
                (SessionState.OPEN, opened_before if opened_before is not None else 2**62),
            ).fetchall()
        return [row[0] for row in rows]

    def forget_closed(self, closed_before: int) -> int:
        """Delete closed sessions closed before `closed_before`; return how many."""
        with self._cursor() as cursor:
            cursor.execute(
                "DELETE FROM signing_session WHERE state != ? AND closed_at < ?",
                (SessionState.OPEN, closed_before),
            )
            return cursor.rowcount
