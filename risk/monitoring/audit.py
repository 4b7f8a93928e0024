"""The monitoring's hash-chained audit log: `custody.audit`'s records and chaining, kept in the database.

`custody.audit.AuditLog` takes any `AuditStore`; `SqlAuditStore` is one over a connection already in a
transaction, so an audit record commits with the alert, freeze or release it describes, or not at all.
Appends are serialised: on PostgreSQL by a transaction-scoped advisory lock, on SQLite by the database's
write lock (taken by `ledger.store.begin_writing`). `verify(connection)` walks the stored chain with
`custody.audit.verify_entries`; unsigned (no checkpoints): the head to keep elsewhere is its last hash.
"""

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from sqlalchemy import Connection, func, insert, select, text

from custody.audit import AuditLog, AuditRecord, AuditVerification, StoredEntry, verify_entries
from custody.audit.store import StoredTail
from ledger.store import begin_writing
from risk.monitoring.schema import audit

_T = TypeVar("_T")
# pg_advisory_xact_lock key of the monitoring's writers: b"tpwmon01" as a signed 64-bit int.
ADVISORY_LOCK: Final = int.from_bytes(b"tpwmon01", "big", signed=True)


def lock(connection: Connection) -> None:
    """Serialise this transaction with every other monitoring writer (audit appends, the journal round)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
    else:
        begin_writing(connection)


class SqlAuditStore:
    """An `AuditStore` in `monitoring_audit`, joined to the caller's transaction (`lock` held)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def append(self, compose: Callable[[StoredTail], tuple[bytes | None, _T]], *, durable: bool = True) -> _T:
        """`durable` is the transaction's business: the record is durable when the caller commits."""
        lock(self.connection)
        last = self.connection.execute(select(audit.c.line).order_by(audit.c.seq.desc()).limit(1)).scalar()
        line, result = compose(StoredTail(last=None if last is None else last.encode()))
        if line is not None:
            seq = self.connection.execute(select(func.coalesce(func.max(audit.c.seq), 0))).scalar_one() + 1
            self.connection.execute(insert(audit).values(seq=seq, line=line.decode()))
        return result

    def entries(self) -> Iterator[StoredEntry]:
        for seq, line in self.connection.execute(select(audit.c.seq, audit.c.line).order_by(audit.c.seq)):
            yield StoredEntry(line=int(seq), data=line.encode())


def record(
    connection: Connection,
    now: int,
    *,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, Any],
) -> AuditRecord:
    """Append one record (time: `now`, unix seconds) in the caller's transaction."""
    log = AuditLog(SqlAuditStore(connection), clock=lambda: datetime.fromtimestamp(now, UTC))
    return log.append(actor=actor, action=action, subject=subject, details=details)


def verify(connection: Connection) -> AuditVerification:
    return verify_entries(SqlAuditStore(connection).entries())
