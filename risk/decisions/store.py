"""Recording and reading decisions. `record_decision` writes the row and its audit record on the caller's
connection (one transaction with whatever the decision changes: a payment intent's status, a case)."""

import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from chain.files import canonical_json
from risk.audit import append
from risk.decisions.inputs import assessment_facts, inputs_digest
from risk.decisions.schema import risk_decisions
from risk.engine import Assessment, Decision, Reason


@dataclass(frozen=True)
class DecisionRecord:
    """A stored decision. `enforced` is False for an operator's test evaluation, which changed nothing;
    `shadow` lists the shadow rules that matched, `shadow_outcome` what they would have made of it."""

    id: str
    created_at: int
    subject_id: str
    kind: str
    device_id: str | None
    device_verified: bool
    """The device's signature verified (`device_id` is proven, not claimed)."""
    reference: str | None
    enforced: bool
    inputs_digest: str
    facts: dict[str, Any]
    rules_digest: str
    outcome: str
    score: int
    reasons: list[dict[str, Any]]
    shadow: list[dict[str, Any]]
    shadow_outcome: str
    factors: list[str]
    fallback_factors: list[str]
    exemption: str | None
    exemption_note: str

    @property
    def first_rule(self) -> str:
        """The rule that set the outcome (the first enforced reason asking for it), for error codes."""
        for reason in self.reasons:
            if reason["outcome"] == self.outcome:
                return str(reason["rule"])
        return self.outcome


def _reason(reason: Reason) -> dict[str, Any]:
    return {"rule": reason.rule, "text": reason.text, "outcome": reason.outcome.label, "score": reason.score}


def _json(value: Any) -> str:
    return canonical_json(value).decode()


def record_decision(
    connection: Connection,
    assessment: Assessment,
    decision: Decision,
    *,
    now: int,
    actor: str,
    reference: str | None = None,
    enforced: bool = True,
) -> DecisionRecord:
    """Store `decision` on `assessment` (made at `now`, unix seconds) and chain its audit record."""
    record = DecisionRecord(
        id=f"rd_{secrets.token_hex(12)}",
        created_at=now,
        subject_id=assessment.subject,
        kind=str(assessment.kind),
        device_id=assessment.device_id,
        device_verified=assessment.device_id is not None and assessment.device_verified,
        reference=reference,
        enforced=enforced,
        inputs_digest=inputs_digest(assessment),
        facts=assessment_facts(assessment),
        rules_digest=decision.rules_digest,
        outcome=decision.outcome.label,
        score=decision.score,
        reasons=[_reason(reason) for reason in decision.reasons],
        shadow=[_reason(reason) for reason in decision.shadow],
        shadow_outcome=decision.shadow_outcome.label,
        factors=list(decision.factors),
        fallback_factors=list(decision.fallback_factors),
        exemption=None if decision.exemption is None else str(decision.exemption),
        exemption_note=decision.exemption_note[:500],
    )
    row = {name: getattr(record, name) for name in _COLUMNS}
    for name in _JSON_COLUMNS:
        row[name] = _json(row[name])
    connection.execute(insert(risk_decisions), row)
    append(
        connection,
        actor=actor,
        action="risk.decision",
        subject=record.id,
        details={
            "subject_id": record.subject_id,
            "reference": record.reference,
            "enforced": record.enforced,
            "inputs_digest": record.inputs_digest,
            "rules_digest": record.rules_digest,
            "outcome": record.outcome,
            "score": record.score,
            "rules": [reason["rule"] for reason in record.reasons],
            "exemption": record.exemption,
        },
        now=now,
    )
    return record


_COLUMNS = tuple(column.name for column in risk_decisions.columns)
_JSON_COLUMNS = ("facts", "reasons", "shadow", "factors", "fallback_factors")


def _record(row: Any) -> DecisionRecord:
    values = {name: getattr(row, name) for name in _COLUMNS}
    for name in _JSON_COLUMNS:
        values[name] = json.loads(values[name])
    values["enforced"] = bool(values["enforced"])
    values["device_verified"] = bool(values["device_verified"])
    return DecisionRecord(**values)


def get_decision(connection: Connection, decision_id: str) -> DecisionRecord | None:
    row = connection.execute(select(risk_decisions).where(risk_decisions.c.id == decision_id)).first()
    return None if row is None else _record(row)


def page_decisions(
    connection: Connection,
    *,
    subject_id: str | None = None,
    reference: str | None = None,
    after: tuple[int, str] | None = None,
    limit: int = 50,
) -> list[DecisionRecord]:
    """Up to `limit` decisions, newest first, before the key (created_at, id) `after`."""
    table = risk_decisions
    query = select(table)
    if subject_id is not None:
        query = query.where(table.c.subject_id == subject_id)
    if reference is not None:
        query = query.where(table.c.reference == reference)
    if after is not None:
        created, last_id = after
        query = query.where(
            (table.c.created_at < created) | ((table.c.created_at == created) & (table.c.id < last_id))
        )
    rows = connection.execute(query.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit))
    return [_record(row) for row in rows]
