"""Running a unit of ledger work in one database transaction, retried when a concurrent one wins a race.

Callers hand the ledger an Engine (it then owns the transaction and commits it), or a Session or Connection
already in their own transaction (the work joins it and the caller commits, so a payment's state change and
its ledger transfers commit together). Account locks make most conflicts wait rather than fail; what can
still fail is two batches inserting the same new transfer id or reference (a unique violation, or a
deadlock when two batches insert the same references in opposite orders). The work is then run again from
scratch: it sees the winner's rows and answers `exists`. In a caller's transaction on PostgreSQL a
SAVEPOINT bounds what is undone; that transaction must be READ COMMITTED (PostgreSQL's default), since at
REPEATABLE READ its snapshot predates the winner's rows and every retry would fail alike (the error is then
raised). SQLite serialises writers, so there is nothing to retry.
"""

from collections.abc import Callable
from typing import Final, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

Database = Engine | Connection | Session
ATTEMPTS: Final = 5
# unique_violation, serialization_failure, deadlock_detected, numeric_value_out_of_range (a total pushed past
# BIGINT by a concurrent batch on an unlocked account: run again, the batch sees it and refuses the overflow)
_RETRYABLE_SQLSTATES: Final = frozenset({"23505", "40001", "40P01", "22003"})

_T = TypeVar("_T")


def _retryable(error: DBAPIError) -> bool:
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in _RETRYABLE_SQLSTATES
    return isinstance(error, IntegrityError) and "UNIQUE constraint failed" in str(error.orig)


def run(database: Database, work: Callable[[Connection], _T]) -> _T:
    """`work` on a connection inside a transaction of `database`, retried on a lost race."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _once(database, work)
        except DBAPIError as error:
            if attempt == ATTEMPTS or not _retryable(error) or not _can_retry(database):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _can_retry(database: Database) -> bool:
    if isinstance(database, Engine):
        return True
    connection = database.connection() if isinstance(database, Session) else database
    return connection.dialect.name == "postgresql"


def _once(database: Database, work: Callable[[Connection], _T]) -> _T:
    if isinstance(database, Engine):
        with database.begin() as connection:
            return work(connection)
    if isinstance(database, Session):
        connection = database.connection()
        if connection.dialect.name != "postgresql":
            return work(connection)
        with database.begin_nested():
            return work(database.connection())
    if database.dialect.name != "postgresql":
        return work(database)
    with database.begin_nested():
        return work(database)
