"""A sanctions reviewer's decision on the hash-chained risk audit log (`risk.audit`), written in the
transaction that records the decision, so the two commit together or not at all."""

from sqlalchemy import Connection

from risk.audit import record_decision
from risk.screening.model import Screening


def audit_decision(connection: Connection, decided: Screening, now: int) -> None:
    """The reviewer's decision on the risk audit log: ids, the list version and the listed entries' numbers,
    never the screened value (a person's name) nor the reason's text (`risk.audit.reviews`)."""
    if decided.decision is None or decided.reviewer is None or decided.reason is None:
        raise ValueError(f"screening {decided.id} is not decided: there is no decision to audit")
    record_decision(
        connection,
        actor=decided.reviewer,
        action="risk.screening.decided",
        subject=decided.id,
        reason=decided.reason,
        details={
            "subject_id": decided.subject_id,
            "kind": str(decided.kind),
            "trigger": str(decided.trigger),
            "list_version": decided.list_version,
            "ent_nums": sorted({hit.ent_num for hit in decided.hits}),
            "decision": str(decided.decision),
            "standing": str(decided.standing),
        },
        now_ms=now,
    )
