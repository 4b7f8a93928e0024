"""One writer at a time per SQLite file in this process, queued on a lock instead of SQLite's busy loop.

SQLite lets one transaction write at a time; the others retry in its busy handler, sleeping longer and longer
between tries, with no order among them. Under a burst of requests (64 concurrent custody POSTs, each with
a few short write transactions) some waiter loses every round until its busy timeout ends in "database is
locked", a 500. So the API's connections take a process-wide lock, one per database file, just before the
statement that opens a write transaction (pysqlite begins one at the first INSERT, UPDATE, DELETE or
REPLACE) and give it back when the transaction ends: the writers of this process queue on it and SQLite's
own lock is only ever contended by other processes (a CLI, a migration), for which the busy timeout stays.
Readers are never held up: WAL lets them read while the writer writes.
"""

import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

WRITE_LOCK_TIMEOUT_SECONDS: Final = 30.0
_WRITE_RE: Final = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(database: str) -> threading.Lock:
    name = (
        database
        if database in ("", ":memory:") or database.startswith("file:")
        else str(Path(database).resolve())
    )
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


class SerialWriterConnection(sqlite3.Connection):
    """A pysqlite connection that holds its file's process-wide write lock while it has a write open.
    Pass as ``connect_args={"factory": SerialWriterConnection}``."""

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._write_lock = _lock_for(str(database))
        self._writing = False

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory or _SerialWriterCursor)

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        """The shortcut, through this class's cursor (sqlite3's own would bypass `cursor`)."""
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        return self.cursor().executemany(sql, parameters)

    def _before(self, sql: str) -> None:
        if self._writing or self.in_transaction or not _WRITE_RE.match(sql):
            return
        if not self._write_lock.acquire(timeout=WRITE_LOCK_TIMEOUT_SECONDS):
            raise sqlite3.OperationalError("database is locked (waited for this process's writer lock)")
        self._writing = True

    def _after(self) -> None:
        """Give the lock back once no transaction is open (it ended, or its first statement failed)."""
        if self._writing and not self.in_transaction:
            self._writing = False
            self._write_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._after()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._after()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._writing:
                self._writing = False
                self._write_lock.release()


class _SerialWriterCursor(sqlite3.Cursor):
    connection: SerialWriterConnection

    def execute(self, sql: str, parameters: Any = (), /) -> "_SerialWriterCursor":
        return self._serialized(sqlite3.Cursor.execute, sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> "_SerialWriterCursor":
        return self._serialized(sqlite3.Cursor.executemany, sql, parameters)

    def _serialized(self, run: Callable[..., object], sql: str, parameters: Any) -> "_SerialWriterCursor":
        """`run(self, sql, parameters)` holding the connection's write lock while a write is under way."""
        self.connection._before(sql)
        try:
            run(self, sql, parameters)
        finally:
            self.connection._after()
        return self
