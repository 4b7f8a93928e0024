"""Operators' and customers' decisions on the risk audit log, recorded with ids only.

The audit log is append-only and hash-chained: nothing written to it can be erased later, not even by a
customer's erasure request (`risk.privacy`). So a record names who decided what about which ids, and never
the personal data the decision was about (a screened name or IBAN, a document) nor the free text an operator
wrote with it, which may name a person: that text stays in its own table (kept or erased under the
personal-data registry), and the record carries its SHA-256 (`reason_sha256`), which proves the stored text
is the one given at the time without revealing it.
"""

import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from custody.audit import AuditRecord
from risk.audit.store import append


def text_digest(text: str) -> str:
    """The hex SHA-256 of `text` (UTF-8): what the log keeps of a free-text reason or note."""
    return hashlib.sha256(text.encode()).hexdigest()


def record_decision(
    connection: Connection,
    *,
    actor: str,
    action: str,
    subject: str,
    reason: str,
    details: Mapping[str, Any],
    now_ms: int,
) -> AuditRecord:
    """Chain a decision on `subject` (an id) by `actor` onto the risk log in the caller's transaction, so the
    decision and its record commit together; `reason` is kept as its digest only, `now_ms` is unix ms."""
    return append(
        connection,
        actor=actor,
        action=action,
        subject=subject,
        details={**details, "reason_sha256": text_digest(reason)},
        now=now_ms // 1000,
    )
