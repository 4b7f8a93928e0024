"""Alerts: raised with their freeze, their case and their audit record in one transaction; decided once.

An alert names its subject as the ledger knows it (`customer` / `merchant` and the accounts' owner id) or a
payout (`payout` and its refund id). A subject with an open alert is frozen already: a further finding is
written to the audit log against that alert, and opens nothing new.

Reviews: `CaseOpener` is what opens a case for an alert; `ReviewQueue` opens it in the review queue
(`risk.cases`, `/v1/cases`), as the API does; `AlertQueue` keeps the alert as its own case (the queue is then
`GET /v1/monitoring/alerts?status=open`), for a monitor run without the queue. `decide` is the
release hook a case decision calls: approved releases the freeze (voids every hold, exactly), rejected
confirms it (the holds stay, the alert is `confirmed` for escalation). A decision is made once; the same
decision again answers the alert as it is, the other one is refused (`AlertDecided`).
"""

import enum
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Connection, Engine, Row, and_, insert, select, update

from risk import cases
from risk.monitoring import audit, freezes
from risk.monitoring.checks import Finding
from risk.monitoring.schema import alerts, holds

ACTOR = "monitoring"


class AlertStatus(enum.StrEnum):
    OPEN = "open"
    RELEASED = "released"
    CONFIRMED = "confirmed"


class AlertNotFound(LookupError):
    field = "alert_id"


class AlertDecided(Exception):
    """The alert was decided the other way already."""

    field = "alert_id"

    def __init__(self, alert_id: str, status: str) -> None:
        super().__init__(f"alert {alert_id} is {status} already")
        self.status = status


@dataclass(frozen=True, slots=True)
class HoldView:
    transfer_id: int
    account_id: int
    currency: str
    amount: int
    released_at: int | None


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    check: str
    subject_kind: str
    subject_id: str
    account_id: int | None
    transfer_id: int | None
    reason: str
    details: dict[str, Any]
    status: AlertStatus
    case_id: str | None
    created_at: int
    decided_at: int | None
    decided_by: str | None
    decision_reason: str | None
    holds: tuple[HoldView, ...] = ()


class CaseOpener(Protocol):
    """Opens a review case for a new alert, in the alert's transaction; answers the case's id."""

    def open_case(self, connection: Connection, alert: Alert) -> str: ...


class AlertQueue:
    """The default case opener: the alert is its own case (case id = alert id) in `monitoring_alerts`."""

    def open_case(self, connection: Connection, alert: Alert) -> str:
        return alert.id


class ReviewQueue:
    """The review queue's `CaseOpener` (`risk.cases`): the alert opens an open case about its subject, with
    its check and reason as the case's reason, in the alert's transaction. An operator's decision on that
    case comes back through `decide_case` (the API registers it as the case resolution of customers and
    merchants), so the freeze is released or confirmed from `/v1/cases` like any other review."""

    def open_case(self, connection: Connection, alert: Alert) -> str:
        reason = {"rule": alert.check, "text": alert.reason, "alert_id": alert.id}
        case = cases.open_case(
            connection,
            alert.subject_kind,
            alert.subject_id,
            [reason],
            opened_by=ACTOR,
            now=alert.created_at,
        )
        return case.id


@dataclass(frozen=True, slots=True)
class Subject:
    kind: str
    id: str
    account_id: int | None = None
    transfer_id: int | None = None


def new_alert_id() -> str:
    return "mal_" + secrets.token_hex(12)


def raise_alert(
    connection: Connection, finding: Finding, subject: Subject, now: int, opener: CaseOpener
) -> Alert | None:
    """Record `finding` as an alert, freeze its subject and open its case; None (the finding audited
    against it) when the subject has an open alert already. In the caller's transaction."""
    audit.lock(connection)
    current = connection.execute(
        select(alerts.c.id).where(
            and_(
                alerts.c.subject_kind == subject.kind,
                alerts.c.subject_id == subject.id,
                alerts.c.status == AlertStatus.OPEN,
            )
        )
    ).scalar()
    if current is not None:
        audit.record(
            connection,
            now,
            actor=ACTOR,
            action="monitoring.finding",
            subject=current,
            details={"check": finding.check.value, "reason": finding.reason, **finding.details},
        )
        return None
    alert = Alert(
        id=new_alert_id(),
        check=finding.check.value,
        subject_kind=subject.kind,
        subject_id=subject.id,
        account_id=subject.account_id,
        transfer_id=subject.transfer_id,
        reason=finding.reason[:512],
        details=dict(finding.details),
        status=AlertStatus.OPEN,
        case_id=None,
        created_at=now,
        decided_at=None,
        decided_by=None,
        decision_reason=None,
    )
    values = {name: getattr(alert, name) for name in _COLUMNS}
    connection.execute(insert(alerts).values(**values, details=json.dumps(alert.details, sort_keys=True)))
    placed = freezes.freeze(connection, alert.id, subject.kind, subject.id, now)
    case_id = opener.open_case(connection, alert)
    connection.execute(update(alerts).where(alerts.c.id == alert.id).values(case_id=case_id))
    audit.record(
        connection,
        now,
        actor=ACTOR,
        action="monitoring.alert",
        subject=alert.id,
        details={
            "check": alert.check,
            "subject_kind": subject.kind,
            "subject_id": subject.id,
            "reason": alert.reason,
            "case_id": case_id,
            "holds": [_hold_details(hold) for hold in placed],
            **({"transfer_id": str(subject.transfer_id)} if subject.transfer_id is not None else {}),
        },
    )
    return load(connection, alert.id)


def top_up(connection: Connection, now: int) -> int:
    """Hold what became available in frozen accounts since their freeze (money that came in), under an
    open alert or a confirmed one (the review kept the freeze); how many holds were placed. In the caller's
    transaction."""
    audit.lock(connection)
    frozen = connection.execute(
        select(alerts.c.id, alerts.c.subject_kind, alerts.c.subject_id).where(
            and_(alerts.c.status != AlertStatus.RELEASED, alerts.c.subject_kind.in_(freezes.FROZEN_KINDS))
        )
    ).all()
    placed = 0
    for alert_id, kind, owner_id in frozen:
        added = freezes.freeze(connection, alert_id, kind, owner_id, now)
        if added:
            audit.record(
                connection,
                now,
                actor=ACTOR,
                action="monitoring.freeze.top_up",
                subject=alert_id,
                details={"holds": [_hold_details(hold) for hold in added]},
            )
            placed += len(added)
    return placed


def decide(
    connection: Connection, alert_id: str, *, approve: bool, operator: str, reason: str, now: int
) -> Alert:
    """An operator's decision on an open alert: approve releases the freeze, reject confirms it."""
    audit.lock(connection)
    alert = load(connection, alert_id)
    wanted = AlertStatus.RELEASED if approve else AlertStatus.CONFIRMED
    if alert.status is wanted:
        return alert
    if alert.status is not AlertStatus.OPEN:
        raise AlertDecided(alert_id, alert.status)
    released = freezes.release(connection, alert_id, now) if approve else []
    connection.execute(
        update(alerts)
        .where(and_(alerts.c.id == alert_id, alerts.c.status == AlertStatus.OPEN))
        .values(status=wanted, decided_at=now, decided_by=operator, decision_reason=reason)
    )
    audit.record(
        connection,
        now,
        actor=operator,
        action="monitoring.release" if approve else "monitoring.confirm",
        subject=alert_id,
        details={"reason": reason, "released": [_hold_details(hold) for hold in released]},
    )
    return load(connection, alert_id)


def decide_case(
    connection: Connection, case_id: str, *, approve: bool, operator: str, reason: str, now: int
) -> list[Alert]:
    """The release hook for a review queue: its case `case_id` was decided; decide its alerts alike."""
    ids = connection.execute(select(alerts.c.id).where(alerts.c.case_id == case_id)).scalars().all()
    return [
        decide(connection, alert_id, approve=approve, operator=operator, reason=reason, now=now)
        for alert_id in ids
    ]


def case_resolution(engine: Engine) -> Callable[[cases.Case], None]:
    """The review queue's resolution of a monitored subject's case (`risk.cases.Resolutions`): its alerts
    decided as the case was, in a transaction of their own (approved releases the freeze, rejected confirms
    it); dispatched again, the same decision changes nothing."""

    def resolved(case: cases.Case) -> None:
        if case.resolved_at is None or case.resolved_by is None:
            raise ValueError(f"case {case.id} is {case.status}: only a decided case resolves its alerts")
        with engine.begin() as connection:
            decide_case(
                connection,
                case.id,
                approve=case.status is cases.CaseStatus.APPROVED,
                operator=case.resolved_by,
                reason=case.note or "",
                now=case.resolved_at,
            )

    return resolved


def load(connection: Connection, alert_id: str) -> Alert:
    row = connection.execute(select(alerts).where(alerts.c.id == alert_id)).first()
    if row is None:
        raise AlertNotFound(f"no alert {alert_id}")
    return _alert(connection, row)


def listed(
    connection: Connection, *, status: AlertStatus | None, after: tuple[int, str] | None, limit: int
) -> list[Alert]:
    """Alerts newest first (by id within a second), `limit` of them after the key (created_at, id)
    `after`: a key never changes once an alert exists, so pages never shift."""
    query = select(alerts).order_by(alerts.c.created_at.desc(), alerts.c.id.desc()).limit(limit)
    if status is not None:
        query = query.where(alerts.c.status == status)
    if after is not None:
        created_at, alert_id = after
        query = query.where(
            (alerts.c.created_at < created_at)
            | and_(alerts.c.created_at == created_at, alerts.c.id < alert_id)
        )
    return [_alert(connection, row) for row in connection.execute(query)]


def frozen_subjects(kind: str, subject_id: ColumnElement[str] | str) -> ColumnElement[bool]:
    """An SQL condition: `subject_id` (a column or value) of `kind` is frozen: an alert on it is open, or
    confirmed (the review kept the freeze)."""
    return (
        select(alerts.c.id)
        .where(
            and_(
                alerts.c.subject_kind == kind,
                alerts.c.subject_id == subject_id,
                alerts.c.status != AlertStatus.RELEASED,
            )
        )
        .exists()
    )


_COLUMNS = (
    "id",
    "check",
    "subject_kind",
    "subject_id",
    "account_id",
    "transfer_id",
    "reason",
    "status",
    "case_id",
    "created_at",
    "decided_at",
    "decided_by",
    "decision_reason",
)


def _hold_details(hold: freezes.Hold) -> dict[str, str]:
    return {
        "transfer_id": str(hold.transfer_id),
        "account_id": str(hold.account_id),
        "currency": hold.currency,
        "amount": str(hold.amount),
    }


def _alert(connection: Connection, row: Row[Any]) -> Alert:
    values = row._mapping
    held: Sequence[Row[Any]] = connection.execute(
        select(holds).where(holds.c.alert_id == values["id"]).order_by(holds.c.transfer_id)
    ).all()
    return Alert(
        **{name: values[name] for name in _COLUMNS if name != "status"},
        status=AlertStatus(values["status"]),
        details=json.loads(values["details"]),
        holds=tuple(
            HoldView(
                int(hold.transfer_id),
                int(hold.account_id),
                hold.currency,
                int(hold.amount),
                None if hold.released_at is None else int(hold.released_at),
            )
            for hold in held
        ),
    )
