"""Opening, reading, claiming and deciding cases; each action is chained onto the risk audit log in the
transaction that makes it (the caller's connection, which it commits).

A case is decided once: approving an approved case again changes nothing and says so (`changed` False), so
a caller whose subject's owner failed after the decision committed can run the resolution again; deciding
it the other way is refused. A claimed case is decided by the operator who holds it.
"""

import json
import secrets
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Final

from sqlalchemy import Connection, insert, select, text, update

from chain.files import canonical_json
from risk.audit import append
from risk.cases.errors import CaseConflict, CaseNotFound, InvalidCase
from risk.cases.model import Case, CaseStatus, SubjectKind
from risk.cases.schema import risk_cases

NOTE_MAX_LENGTH: Final = 2000
SUBJECT_MAX_LENGTH: Final = 64
_SQLITE_WRITE_LOCK: Final = text("UPDATE risk_cases SET id = id WHERE 1 = 0")


def _reasons(reasons: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    if not reasons:
        raise InvalidCase("a case is opened for at least one reason", field="reasons")
    for index, reason in enumerate(reasons):
        if not isinstance(reason.get("rule"), str) or not isinstance(reason.get("text"), str):
            raise InvalidCase(f"reason {index} needs a `rule` and a `text`", field="reasons")
    normalised: list[dict[str, Any]] = json.loads(canonical_json(list(reasons)))
    return normalised


def open_case(
    connection: Connection,
    subject_kind: SubjectKind | str,
    subject_id: str,
    reasons: Sequence[dict[str, Any]],
    decision_id: str | None = None,
    *,
    opened_by: str,
    now: int,
) -> Case:
    """A new open case about (`subject_kind`, `subject_id`), in the caller's transaction, audited. Each
    reason is a JSON object with at least `rule` and `text` (a decision's reasons, a monitor's findings)."""
    try:
        kind = SubjectKind(subject_kind)
    except ValueError as error:
        raise InvalidCase(f"{subject_kind!r} is not a case subject kind", field="subject_kind") from error
    if not 0 < len(subject_id) <= SUBJECT_MAX_LENGTH:
        raise InvalidCase(f"a subject id is 1 to {SUBJECT_MAX_LENGTH} characters", field="subject_id")
    case = Case(
        id=f"case_{secrets.token_hex(12)}",
        subject_kind=kind,
        subject_id=subject_id,
        status=CaseStatus.OPEN,
        reasons=_reasons(reasons),
        decision_id=decision_id,
        opened_at=now,
        opened_by=opened_by,
    )
    row = _row(case)
    connection.execute(insert(risk_cases), row)
    _audit(connection, case, "risk.case.opened", opened_by, now, reasons=case.reasons)
    return case


def _row(case: Case) -> dict[str, Any]:
    row = {column.name: getattr(case, column.name) for column in risk_cases.columns}
    row["reasons"] = canonical_json(case.reasons).decode()
    row["subject_kind"], row["status"] = str(case.subject_kind), str(case.status)
    return row


def _case(row: Any) -> Case:
    values = {column.name: getattr(row, column.name) for column in risk_cases.columns}
    values["reasons"] = json.loads(values["reasons"])
    values["subject_kind"] = SubjectKind(values["subject_kind"])
    values["status"] = CaseStatus(values["status"])
    return Case(**values)


def _audit(connection: Connection, case: Case, action: str, actor: str, now: int, **details: Any) -> None:
    append(
        connection,
        actor=actor,
        action=action,
        subject=case.id,
        details={
            "subject_kind": str(case.subject_kind),
            "subject_id": case.subject_id,
            "decision_id": case.decision_id,
            "status": str(case.status),
            **details,
        },
        now=now,
    )


def get_case(connection: Connection, case_id: str, *, lock: bool = False) -> Case:
    query = select(risk_cases).where(risk_cases.c.id == case_id)
    if lock:
        if connection.dialect.name == "sqlite":
            connection.execute(_SQLITE_WRITE_LOCK)
        query = query.with_for_update()
    row = connection.execute(query).first()
    if row is None:
        raise CaseNotFound(f"no case {case_id}", field="case")
    return _case(row)


def page_cases(
    connection: Connection,
    *,
    status: CaseStatus | None = None,
    subject_kind: SubjectKind | None = None,
    subject_id: str | None = None,
    after: tuple[int, str] | None = None,
    limit: int = 50,
) -> list[Case]:
    """Up to `limit` cases, oldest first (a queue), after the key (opened_at, id) `after`."""
    table = risk_cases
    query = select(table)
    if status is not None:
        query = query.where(table.c.status == str(status))
    if subject_kind is not None:
        query = query.where(table.c.subject_kind == str(subject_kind))
    if subject_id is not None:
        query = query.where(table.c.subject_id == subject_id)
    if after is not None:
        opened, last_id = after
        query = query.where(
            (table.c.opened_at > opened) | ((table.c.opened_at == opened) & (table.c.id > last_id))
        )
    rows = connection.execute(query.order_by(table.c.opened_at, table.c.id).limit(limit))
    return [_case(row) for row in rows]


def claim(connection: Connection, case_id: str, operator: str, now: int) -> Case:
    """`operator` holds the case; claiming one's own claim again changes nothing."""
    case = get_case(connection, case_id, lock=True)
    if case.status is CaseStatus.CLAIMED and case.assignee == operator:
        return case
    if case.status is not CaseStatus.OPEN:
        held = f" by {case.assignee}" if case.status is CaseStatus.CLAIMED else ""
        raise CaseConflict(f"case {case_id} is {case.status}{held}", status=str(case.status))
    claimed = replace(case, status=CaseStatus.CLAIMED, assignee=operator, claimed_at=now)
    _store(connection, claimed)
    _audit(connection, claimed, "risk.case.claimed", operator, now)
    return claimed


def _store(connection: Connection, case: Case) -> None:
    row = _row(case)
    row.pop("id")
    connection.execute(update(risk_cases).where(risk_cases.c.id == case.id), row)


def resolve(
    connection: Connection, case_id: str, *, approve: bool, operator: str, note: str, now: int
) -> tuple[Case, bool]:
    """Approve or reject the case with `note`: the case, and whether this call decided it (False when it
    was decided so already)."""
    if not note.strip() or len(note) > NOTE_MAX_LENGTH:
        raise InvalidCase(f"a decision carries a note of 1 to {NOTE_MAX_LENGTH} characters", field="note")
    wanted = CaseStatus.APPROVED if approve else CaseStatus.REJECTED
    case = get_case(connection, case_id, lock=True)
    if case.status is wanted:
        return case, False
    if case.final:
        raise CaseConflict(f"case {case_id} was {case.status} already", status=str(case.status))
    if case.status is CaseStatus.CLAIMED and case.assignee != operator:
        raise CaseConflict(f"case {case_id} is claimed by {case.assignee}", status=str(case.status))
    decided = replace(
        case,
        status=wanted,
        assignee=case.assignee or operator,
        claimed_at=case.claimed_at or now,
        resolved_at=now,
        resolved_by=operator,
        note=note,
    )
    _store(connection, decided)
    _audit(connection, decided, f"risk.case.{wanted}", operator, now, note=note)
    return decided, True
