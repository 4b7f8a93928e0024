"""Factor changes on the hash-chained risk audit log (`risk.audit`): an enrolment, its confirmation, a
payment password changed, a factor revoked. Each service writes the record in the transaction that makes
the change, so a change is never without its record nor a record without its change.

A factor change is a sensitive change (`risk.factors.changes`): after an account takeover, the first
question is which authenticator was added or removed, when, and from which session. The record names the
subject, the factor and the actor (the customer's session, `session:<id>`, or the subject itself when the
caller names no one); never a secret, a code or a password hash.
"""

from enum import StrEnum

from sqlalchemy import Connection

from risk.audit import append
from risk.factors.model import Factor


class FactorEvent(StrEnum):
    """What happened to a factor: the audit record's `action`."""

    ENROLLED = "risk.factor.enrolled"
    """A TOTP enrolment started (pending its first code), a payment password set, recovery codes made."""
    CONFIRMED = "risk.factor.confirmed"
    """A pending TOTP enrolment activated by its first code."""
    CHANGED = "risk.factor.changed"
    """The payment password replaced, the current one proven."""
    REVOKED = "risk.factor.revoked"


def record_change(
    connection: Connection, subject_id: str, factor: Factor, event: FactorEvent, now: int, actor: str | None
) -> None:
    """Chain `event` on the subject's `factor` onto the risk log, in the caller's transaction (`now` in unix
    seconds; `actor` None: the subject acted itself)."""
    append(
        connection,
        actor=actor or subject_id,
        action=str(event),
        subject=subject_id,
        details={"factor": factor.value},
        now=now,
    )
