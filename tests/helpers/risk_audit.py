"""Reading the risk audit log of an API test's database: its records, after checking the whole chain."""

from collections.abc import Collection

from custody.audit import AuditRecord
from risk.audit import records, verify
from tests.helpers.db import session_on


def chained_records(url: str, subjects: Collection[str] | None = None) -> list[AuditRecord]:
    """The risk log's records (about one of `subjects`, or all), on a connection of its own, once the whole
    hash chain has verified."""
    with session_on(url) as session:
        connection = session.connection()
        verdict = verify(connection)
        assert verdict.ok, verdict.findings
        return records(connection, subjects)
