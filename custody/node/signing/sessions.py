"""Every signing session a node has opened, how it ended, and while it is open its sealed nonce.

The book is a table of the node's state database (``state.sqlite``, the one its policy's spend history
lives in: WAL mode, ``synchronous=FULL``), so a session's steps commit in the same transaction as the policy
bookkeeping around them, with one fsync: round one stores the request's first-seen time, the session and its
nonce together; round two takes the nonce out, records the spend and closes the session together. A session
row holds its nonce sealed by the node's key store (`custody.keystore.KeyStore.seal`, bound to the session id)
while the session is ``open`` and nothing once it is closed, so a nonce is usable exactly while its row says
``open``, and the row's state is durable before any answer that depends on it.

A session is ``open`` from round one until round two or the sweeper closes it as ``signed``, ``refused``,
``expired`` or ``abandoned`` (a restart closes every session a previous process left open). The book tells a
session it never saw (404) from one that is over (409: a replay) and refuses a second round one under a
session id ever used before. Closed sessions are forgotten after a retention period; a replay older than that
is answered as unknown, which refuses it just the same.

Thread-safe, and several processes may use one database (SQLite serialises the writers): `take_nonce` hands
a nonce out at most once.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from custody.errors import CustodyError
from custody.policy.history import SpendHistory

NONCE_NAME_PREFIX: Final = "nonce/"
"""A session's nonce is sealed under the name ``nonce/<session_id>`` (`nonce_name`)."""

_SCHEMA: Final = (
    """
    CREATE TABLE IF NOT EXISTS signing_session (
        session_id  TEXT PRIMARY KEY,
        key_id      TEXT NOT NULL,
        request_id  TEXT NOT NULL,
        digest      TEXT NOT NULL,
        state       TEXT NOT NULL,
        opened_at   INTEGER NOT NULL,
        closed_at   INTEGER,
        nonce       BLOB
    ) STRICT, WITHOUT ROWID
    """,
    "CREATE INDEX IF NOT EXISTS signing_session_open ON signing_session (state, opened_at)",
)


class SessionState(StrEnum):
    """Where a session stands."""

    OPEN = "open"
    SIGNED = "signed"
    REFUSED = "refused"
    EXPIRED = "expired"
    ABANDONED = "abandoned"


class SessionBookError(CustodyError):
    """The session book cannot be opened or written."""


@dataclass(frozen=True)
class SessionRecord:
    """One session as the book knows it (times are Unix seconds); `holds_nonce` while its nonce is stored."""

    session_id: str
    key_id: str
    request_id: str
    digest: str
    state: SessionState
    opened_at: int
    closed_at: int | None
    holds_nonce: bool


def nonce_name(session_id: str) -> str:
    """The name a session's nonce is sealed under."""
    return NONCE_NAME_PREFIX + session_id


class SessionBook:
    """The ``signing_session`` table of a node's state database (the `SpendHistory`'s)."""

    def __init__(self, state: SpendHistory) -> None:
        self.state = state
        with state.transaction():
            for statement in _SCHEMA:
                state.execute(statement)

    def open(
        self, session_id: str, key_id: str, request_id: str, digest: str, now: int, sealed_nonce: bytes
    ) -> bool:
        """Record a new open session holding `sealed_nonce`; False (and nothing written) if the id was ever
        used (and is still remembered). Durable on return unless inside a `SpendHistory.transaction`, which
        it then commits with."""
        inserted = self.state.execute(
            "INSERT OR IGNORE INTO signing_session VALUES (?, ?, ?, ?, ?, ?, NULL, ?) RETURNING session_id",
            (session_id, key_id, request_id, digest, SessionState.OPEN.value, now, sealed_nonce),
        )
        return bool(inserted)

    def get(self, session_id: str) -> SessionRecord | None:
        """The session, or None if the book has no such session."""
        rows = self.state.execute(
            "SELECT session_id, key_id, request_id, digest, state, opened_at, closed_at, nonce IS NOT NULL "
            "FROM signing_session WHERE session_id = ?",
            (session_id,),
        )
        if not rows:
            return None
        ((sid, key_id, request_id, digest, state, opened_at, closed_at, holds_nonce),) = rows
        return SessionRecord(
            sid, key_id, request_id, digest, SessionState(state), opened_at, closed_at, bool(holds_nonce)
        )

    def take_nonce(self, session_id: str, state: SessionState, now: int) -> bytes | None:
        """Close the open session `session_id` as `state` and hand out its sealed nonce, which the row no
        longer holds; None if the session is not open or holds no nonce (it is closed all the same).

        Call it inside a `SpendHistory.transaction` with whatever else must commit with it; the nonce is
        then gone from disk when that transaction commits, and never handed out twice.
        """
        self._require_final(state)
        with self.state.transaction():
            rows = self.state.execute(
                "SELECT nonce FROM signing_session WHERE session_id = ? AND state = ?",
                (session_id, SessionState.OPEN.value),
            )
            if not rows:
                return None
            self.close_session(session_id, state, now)
        nonce: bytes | None = rows[0][0]
        return nonce

    def set_state(self, session_id: str, state: SessionState) -> None:
        """Change how a closed session ended (e.g. ``signed`` once its share is computed, in the same
        transaction as `take_nonce`)."""
        self._require_final(state)
        self.state.execute(
            "UPDATE signing_session SET state = ? WHERE session_id = ? AND state != ?",
            (state.value, session_id, SessionState.OPEN.value),
        )

    def close_session(self, session_id: str, state: SessionState, now: int) -> bool:
        """Close an open session as `state`, dropping its nonce; False if it was not open."""
        self._require_final(state)
        closed = self.state.execute(
            "UPDATE signing_session SET state = ?, closed_at = ?, nonce = NULL "
            "WHERE session_id = ? AND state = ? RETURNING session_id",
            (state.value, now, session_id, SessionState.OPEN.value),
        )
        return bool(closed)

    def close_all_open(self, state: SessionState, now: int, opened_before: int | None = None) -> list[str]:
        """Close every open session (only those opened before `opened_before`, if given) as `state`, dropping
        their nonces, in one transaction; their ids, oldest first."""
        self._require_final(state)
        rows = self.state.execute(
            "UPDATE signing_session SET state = ?, closed_at = ?, nonce = NULL "
            "WHERE state = ? AND opened_at < ? RETURNING session_id, opened_at",
            (
                state.value,
                now,
                SessionState.OPEN.value,
                opened_before if opened_before is not None else 2**62,
            ),
        )
        return [session_id for session_id, _ in sorted(rows, key=lambda row: (row[1], row[0]))]

    def open_sessions(self, opened_before: int | None = None) -> list[str]:
        """Ids of the open sessions (only those opened before `opened_before`, if given), oldest first."""
        rows = self.state.execute(
            "SELECT session_id FROM signing_session WHERE state = ? AND opened_at < ? "
            "ORDER BY opened_at, session_id",
            (SessionState.OPEN.value, opened_before if opened_before is not None else 2**62),
        )
        return [row[0] for row in rows]

    def sealed_nonce(self, session_id: str) -> bytes | None:
        """The sealed nonce session `session_id` holds, without taking it (None once it is gone)."""
        rows = self.state.execute("SELECT nonce FROM signing_session WHERE session_id = ?", (session_id,))
        nonce: bytes | None = rows[0][0] if rows else None
        return nonce

    def nonce_holders(self) -> list[str]:
        """Ids of the sessions whose nonce is stored (the open ones), sorted."""
        rows = self.state.execute(
            "SELECT session_id FROM signing_session WHERE nonce IS NOT NULL ORDER BY session_id"
        )
        return [row[0] for row in rows]

    def forget_closed(self, closed_before: int) -> int:
        """Delete closed sessions closed before `closed_before`; return how many."""
        rows = self.state.execute(
            "DELETE FROM signing_session WHERE state != ? AND closed_at < ? RETURNING session_id",
            (SessionState.OPEN.value, closed_before),
        )
        return len(rows)

    @staticmethod
    def _require_final(state: SessionState) -> None:
        if state is SessionState.OPEN:
            raise SessionBookError("a session is closed into a final state, not reopened")
