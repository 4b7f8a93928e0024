"""A signer node's durable memory of what it signed and when it first saw each request, in SQLite.

Rolling limits and velocity are only as good as the record they count: a node that forgot, after a crash,
what it signed an hour ago would sign the day's limit again. So every write is a committed SQLite
transaction in WAL mode with ``synchronous=FULL`` (the WAL is fsynced at each commit): once `record` or
`first_seen` returns, the row survives ``kill -9`` and power loss alike.

Two tables, both keyed by the request id (32 bytes, stored as 0x-hex):

- ``signed``: one row per request the node released a share for: key id, chain id, intent type, asset
  (token address; "" for intents that move no asset), amount (decimal text: a uint256 does not fit SQLite's
  64-bit integers), time, intent digest. Recording the same request again adds no row (a coordinator retrying
  with another set of nodes must not double-count) but moves its time forward to the latest signing, so a
  request signed again a day later counts in the window it was signed in again (the group bound in
  `custody.policy.engine` needs every share counted in the window it was released in); recording it for a
  different digest or key is a `RequestConflict`.
- ``first_seen``: when this node first saw each request, bound to the intent digest it saw then; the
  start of a time lock. It is set once and never moves, and a request id presented with another digest is a
  `RequestConflict` (an old harmless request must not lend its age to a new large one).

Windows are half-open: a row counts in the window ending at ``now`` of length ``W`` when its time is
strictly greater than ``now - W``. Rows stamped later than ``now`` (a clock stepped back) still count, so a
clock change can only make a node stricter.

One `SpendHistory` may be shared by threads (one connection behind a lock), and several processes may open
the same file: `transaction` takes SQLite's write lock (BEGIN IMMEDIATE), so an evaluation and the record that
follows it are atomic against every other writer.
"""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from custody.policy.errors import RequestConflict, SpendHistoryError

SCHEMA_VERSION: Final = 1
_BUSY_TIMEOUT_SECONDS: Final = 30.0

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS signed (
    request_id   TEXT PRIMARY KEY,
    digest       TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    chain_id     TEXT NOT NULL,
    intent_type  TEXT NOT NULL,
    asset        TEXT NOT NULL,
    amount       TEXT NOT NULL,
    signed_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS signed_by_asset ON signed (key_id, chain_id, asset, signed_at);
CREATE INDEX IF NOT EXISTS signed_by_type ON signed (key_id, chain_id, intent_type, signed_at);
CREATE TABLE IF NOT EXISTS first_seen (
    request_id   TEXT PRIMARY KEY,
    digest       TEXT NOT NULL,
    seen_at      INTEGER NOT NULL
) STRICT;
"""


@dataclass(frozen=True)
class SignedRecord:
    """One request the node signed: what it spent, of which asset, under which key, and when."""

    request_id: bytes
    digest: bytes
    key_id: str
    chain_id: int
    intent_type: str
    asset: str
    amount: int
    signed_at: int


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


class SpendHistory:
    """The durable per-node record of signed requests and first-seen times (see the module docstring)."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        """Use `SpendHistory.open`; this takes an already configured connection."""
        self._connection = connection
        self._lock = threading.RLock()
        self._depth = 0
        self.path = path

    @classmethod
    def open(cls, path: str | Path) -> "SpendHistory":
        """Open (creating if needed) the history database at `path`, in WAL mode with synchronous=FULL."""
        path = Path(path)
        try:
            connection = sqlite3.connect(
                path, timeout=_BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise SpendHistoryError(f"cannot open the spend history at {path}: {exc}") from None
        try:
            mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal":
                raise SpendHistoryError(f"{path}: SQLite refused WAL mode (got {mode!r})")
            connection.execute("PRAGMA synchronous=FULL")
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise SpendHistoryError(
                    f"{path}: spend history schema {version}; this code reads {SCHEMA_VERSION}"
                )
            connection.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA user_version={SCHEMA_VERSION};COMMIT;")
        except sqlite3.Error as exc:
            connection.close()
            raise SpendHistoryError(f"cannot open the spend history at {path}: {exc}") from None
        except SpendHistoryError:
            connection.close()
            raise
        return cls(connection, path)

    def __repr__(self) -> str:
        return f"SpendHistory({str(self.path)!r})"

    def close(self) -> None:
        """Close the database; committed rows are already on disk."""
        with self._lock:
            self._connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the database's write lock: reads and writes inside commit together or not at all.

        Re-entrant within a thread (an inner block joins the outer transaction); other threads wait for the
        lock, other processes for SQLite's. A database failure becomes SpendHistoryError, after a rollback.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            try:
                self.execute("BEGIN IMMEDIATE")
                yield
                self.execute("COMMIT")
            except BaseException:
                if self._connection.in_transaction:
                    self._connection.rollback()
                raise
            finally:
                self._depth = 0

    def execute(self, sql: str, parameters: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement under the lock and fetch its rows; SpendHistoryError if SQLite fails.

        For the other tables of the same state database (a signer node keeps its signing sessions here, so
        that a session's nonce and the spend it authorises commit together): statements that must commit
        together run inside one `transaction`; a statement outside any commits on its own, durably.
        """
        with self._lock:
            try:
                return self._connection.execute(sql, parameters).fetchall()
            except sqlite3.Error as exc:
                raise SpendHistoryError(f"{self.path}: {exc}") from None

    def record(self, entry: SignedRecord) -> bool:
        """Durably record a signed request; False if it was already recorded (the same digest and key), in
        which case its time moves forward to `entry.signed_at` if that is later (a retry signs again now).

        RequestConflict if the request id was recorded for another digest or key.
        """
        with self.transaction():
            existing = self.signed(entry.request_id)
            if existing is not None:
                if existing.digest != entry.digest or existing.key_id != entry.key_id:
                    raise RequestConflict(entry.request_id)
                if entry.signed_at > existing.signed_at:
                    self.execute(
                        "UPDATE signed SET signed_at = ? WHERE request_id = ?",
                        (entry.signed_at, _hex(entry.request_id)),
                    )
                return False
            self.execute(
                "INSERT INTO signed"
                " (request_id, digest, key_id, chain_id, intent_type, asset, amount, signed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    _hex(entry.request_id),
                    _hex(entry.digest),
                    entry.key_id,
                    str(entry.chain_id),
                    entry.intent_type,
                    entry.asset,
                    str(entry.amount),
                    entry.signed_at,
                ),
            )
            return True

    def signed(self, request_id: bytes) -> SignedRecord | None:
        """The record of `request_id`, or None if this node never signed it."""
        rows = self.execute(
            "SELECT digest, key_id, chain_id, intent_type, asset, amount, signed_at FROM signed"
            " WHERE request_id = ?",
            (_hex(request_id),),
        )
        if not rows:
            return None
        ((digest, key_id, chain_id, intent_type, asset, amount, signed_at),) = rows
        return SignedRecord(
            request_id=request_id,
            digest=bytes.fromhex(digest[2:]),
            key_id=key_id,
            chain_id=int(chain_id),
            intent_type=intent_type,
            asset=asset,
            amount=int(amount),
            signed_at=signed_at,
        )

    def spent(
        self, key_id: str, chain_id: int, asset: str, since: int, excluding: bytes | None = None
    ) -> int:
        """The total of `asset` that `key_id` signed on `chain_id` after `since` (other than `excluding`)."""
        rows = self.execute(
            "SELECT amount FROM signed WHERE key_id = ? AND chain_id = ? AND asset = ? AND signed_at > ?"
            " AND request_id IS NOT ?",
            (key_id, str(chain_id), asset, since, None if excluding is None else _hex(excluding)),
        )
        return sum(int(amount) for (amount,) in rows)

    def count(
        self, key_id: str, chain_id: int, intent_type: str, since: int, excluding: bytes | None = None
    ) -> int:
        """How many `intent_type` intents `key_id` signed on `chain_id` after `since` (not `excluding`)."""
        ((number,),) = self.execute(
            "SELECT COUNT(*) FROM signed WHERE key_id = ? AND chain_id = ? AND intent_type = ?"
            " AND signed_at > ? AND request_id IS NOT ?",
            (key_id, str(chain_id), intent_type, since, None if excluding is None else _hex(excluding)),
        )
        return int(number)

    def first_seen(self, request_id: bytes, digest: bytes, now: int) -> int:
        """When this node first saw `request_id`: `now` the first time (stored durably), that time after.

        RequestConflict if the request was first seen with another intent digest.
        """
        with self.transaction():
            self.execute(
                "INSERT OR IGNORE INTO first_seen (request_id, digest, seen_at) VALUES (?, ?, ?)",
                (_hex(request_id), _hex(digest), now),
            )
            ((stored_digest, seen_at),) = self.execute(
                "SELECT digest, seen_at FROM first_seen WHERE request_id = ?", (_hex(request_id),)
            )
        if stored_digest != _hex(digest):
            raise RequestConflict(request_id)
        return int(seen_at)
