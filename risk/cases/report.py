"""A case's compliance report: the case, its decision and its audit trail, as a JSON document and as plain
text (what a regulator's request or a file note takes; no PDF)."""

from typing import Any

from sqlalchemy import Connection

from risk.audit import records
from risk.cases.cases import get_case
from risk.decisions import get_decision


def case_report(connection: Connection, case_id: str) -> dict[str, Any]:
    """The report's document: the case, the decision it was opened on (if any), and every audit record
    about either, in chain order with their hashes (so the report can be checked against the log)."""
    case = get_case(connection, case_id)
    decision = None if case.decision_id is None else get_decision(connection, case.decision_id)
    about = {case.id} | ({case.decision_id} if case.decision_id else set())
    trail = records(connection, about)
    return {
        "object": "case_report",
        "case": {
            "id": case.id,
            "subject_kind": str(case.subject_kind),
            "subject_id": case.subject_id,
            "status": str(case.status),
            "reasons": case.reasons,
            "opened_at": case.opened_at,
            "opened_by": case.opened_by,
            "assignee": case.assignee,
            "claimed_at": case.claimed_at,
            "resolved_at": case.resolved_at,
            "resolved_by": case.resolved_by,
            "note": case.note,
        },
        "decision": None
        if decision is None
        else {
            "id": decision.id,
            "created_at": decision.created_at,
            "outcome": decision.outcome,
            "score": decision.score,
            "reasons": decision.reasons,
            "rules_digest": decision.rules_digest,
            "inputs_digest": decision.inputs_digest,
            "facts": decision.facts,
            "exemption": decision.exemption,
            "exemption_note": decision.exemption_note,
        },
        "audit": [
            {
                "seq": record.seq,
                "time": record.time,
                "actor": record.actor,
                "action": record.action,
                "subject": record.subject,
                "hash": record.hash,
            }
            for record in trail
        ],
    }


def report_text(report: dict[str, Any]) -> str:
    """The report as plain text, one fact a line."""
    case = report["case"]
    lines = [
        f"Compliance report for case {case['id']}",
        f"Subject: {case['subject_kind']} {case['subject_id']}",
        f"Status: {case['status']}",
        f"Opened at {case['opened_at']} by {case['opened_by']}",
    ]
    if case["assignee"] is not None:
        lines.append(f"Held by {case['assignee']} since {case['claimed_at']}")
    if case["resolved_at"] is not None:
        lines.append(f"Decided {case['status']} at {case['resolved_at']} by {case['resolved_by']}")
        lines.append(f"Note: {case['note']}")
    lines.append("Reasons:")
    lines.extend(f"  - {reason['rule']}: {reason['text']}" for reason in case["reasons"])
    decision = report["decision"]
    if decision is not None:
        lines.append(
            f"Decision {decision['id']} at {decision['created_at']}: {decision['outcome']}, "
            f"score {decision['score']}"
        )
        lines.append(f"  rules {decision['rules_digest']}, inputs {decision['inputs_digest']}")
        exemption = decision["exemption"] or "none"
        lines.append(f"  SCA exemption: {exemption} ({decision['exemption_note']})")
        lines.extend(
            f"  - {reason['rule']} ({reason['outcome']}, +{reason['score']}): {reason['text']}"
            for reason in decision["reasons"]
        )
    lines.append("Audit trail:")
    lines.extend(
        f"  #{entry['seq']} {entry['time']} {entry['actor']} {entry['action']} {entry['hash']}"
        for entry in report["audit"]
    )
    return "\n".join(lines) + "\n"
