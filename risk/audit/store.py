"""`SqlAuditStore`: custody's `AuditStore` protocol over the `risk_audit_log` table, on the caller's
connection, so a record commits with what it records.

Appends are serialised by the writer lock of the transaction: SQLite's (taken by a no-op write, as
`ledger.store.begin_writing` does) or, on PostgreSQL, a transaction-scoped advisory lock held until
commit; a second appender reads the tail only after the first committed, so the chain never forks. The
primary key on `seq` would refuse a fork anyway.
"""

import json
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from sqlalchemy import Connection, insert, or_, select, text

from custody.audit import AuditLog, AuditRecord, AuditVerification, StoredEntry
from custody.audit.store import StoredTail
from risk.audit.schema import risk_audit_log

_T = TypeVar("_T")
_SQLITE_WRITE_LOCK: Final = text("UPDATE risk_audit_log SET seq = seq WHERE 1 = 0")
_ADVISORY_LOCK: Final = 0x7270_6B61_7564  # "rpkaud": the risk audit log's appenders, one at a time


class SqlAuditStore:
    """The risk audit log on `connection` (a transaction the caller commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def append(self, compose: Callable[[StoredTail], tuple[bytes | None, _T]], *, durable: bool = True) -> _T:
        """See `custody.audit.AuditStore.append`; durability is the caller's commit."""
        connection = self._connection
        if connection.dialect.name == "sqlite":
            connection.execute(_SQLITE_WRITE_LOCK)
        elif connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
        last = connection.execute(
            select(risk_audit_log.c.line).order_by(risk_audit_log.c.seq.desc()).limit(1)
        ).scalar_one_or_none()
        entry, result = compose(StoredTail(None if last is None else last.encode()))
        if entry is not None:
            record = AuditRecord.parse(entry)
            connection.execute(insert(risk_audit_log), {"seq": record.seq, "line": entry.decode()})
        return result

    def entries(self) -> Iterator[StoredEntry]:
        rows = self._connection.execute(select(risk_audit_log).order_by(risk_audit_log.c.seq))
        for row in rows:
            yield StoredEntry(row.seq, row.line.encode())


def append(
    connection: Connection,
    *,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, Any],
    now: int,
) -> AuditRecord:
    """Chain one record (`now` in unix seconds) onto the risk log, in the caller's transaction."""
    log = AuditLog(SqlAuditStore(connection), clock=lambda: datetime.fromtimestamp(now, UTC))
    return log.append(actor=actor, action=action, subject=subject, details=details)


def records(connection: Connection, subjects: Collection[str] | None = None) -> list[AuditRecord]:
    """The log's records in order, or only those about one of `subjects` (found by their canonical line's
    `"subject":` member, then checked on the parsed record)."""
    query = select(risk_audit_log.c.line).order_by(risk_audit_log.c.seq)
    if subjects is not None:
        wanted = set(subjects)
        if not wanted:
            return []
        query = query.where(
            or_(*(risk_audit_log.c.line.contains(f'"subject":{json.dumps(subject)}') for subject in wanted))
        )
    found = [AuditRecord.parse(line.encode()) for line in connection.scalars(query)]
    return [record for record in found if subjects is None or record.subject in wanted]


def verify(connection: Connection) -> AuditVerification:
    """Walk the whole chain (`custody.audit.verify_entries`)."""
    return AuditLog(SqlAuditStore(connection)).verify()
