"""Operators' decisions on the KYC checks a provider sent to manual review (status `review`).

A decision moves the check to `approved` or `rejected` and is recorded (who, why, when) in the same
transaction, in `kyc_reviews` and on the hash-chained risk audit log (ids and the reason's digest only,
`risk.audit.reviews`); an approval raises the subject's tier there too (never lowers it), the tier change
naming the reviewer. Only a check in `review` takes a decision, once: a second reviewer, or a provider's
late result, finds it final. Times are unix milliseconds from the injected clock.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sqlalchemy import Engine, insert, select, update

from risk.audit import record_decision
from risk.kyc.assignments import change_tier
from risk.kyc.checks import Check, Checks, CheckStatus, check_from_row
from risk.kyc.errors import CheckNotFound, InvalidCheck, OutcomeConflict
from risk.kyc.schema import checks, reviews

MAX_REVIEWER_LENGTH: Final = 64
MAX_REASON_LENGTH: Final = 512


class ReviewDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Review:
    check_id: str
    decision: ReviewDecision
    reviewer: str
    reason: str
    decided_at: int


def _text(value: str, field: str, limit: int) -> str:
    text = " ".join(value.split())
    if not text or len(text) > limit:
        raise InvalidCheck(f"{field} must be 1 to {limit} characters", field=field)
    return text


class Reviews:
    """Manual reviews of checks in `engine`'s database."""

    def __init__(self, engine: Engine, *, clock: Callable[[], int]) -> None:
        self.engine = engine
        self.clock = clock

    def decide(self, check_id: str, decision: ReviewDecision, *, reviewer: str, reason: str) -> Check:
        """Approve or reject a check in review (see the module docstring)."""
        who = _text(reviewer, "reviewer", MAX_REVIEWER_LENGTH)
        why = _text(reason, "reason", MAX_REASON_LENGTH)
        now = self.clock()
        with self.engine.begin() as connection:
            row = connection.execute(select(checks).where(checks.c.id == check_id).with_for_update()).first()
            if row is None:
                raise CheckNotFound(f"no check {check_id}", field="check_id")
            check = check_from_row(row)
            status = CheckStatus(str(decision))
            changed = connection.execute(
                update(checks)
                .where(checks.c.id == check_id, checks.c.status == str(CheckStatus.REVIEW))
                .values(
                    status=str(status), reasons=f"{check.reasons}; reviewed: {why}"[:512], completed_at=now
                )
            ).rowcount
            if changed != 1:
                raise OutcomeConflict(
                    f"check {check_id} is {check.status}: only a check in review takes a decision",
                    field="decision",
                )
            connection.execute(
                insert(reviews).values(
                    check_id=check_id, decision=str(decision), reviewer=who, reason=why, decided_at=now
                )
            )
            raised = None
            if decision is ReviewDecision.APPROVED:
                raised = change_tier(
                    connection,
                    check.subject_id,
                    check.tier,
                    actor=who,
                    reason=f"KYC check {check.id} approved on review",
                    now=now,
                    upward_only=True,
                )
            record_decision(
                connection,
                actor=who,
                action="risk.kyc.review_decided",
                subject=check_id,
                reason=why,
                details={
                    "subject_id": check.subject_id,
                    "provider": check.provider,
                    "tier": str(check.tier),
                    "decision": str(decision),
                    "tier_change_id": None if raised is None else raised.id,
                },
                now_ms=now,
            )
        return Checks(self.engine, clock=self.clock).get(check_id)

    def review_of(self, check_id: str) -> Review | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(reviews).where(reviews.c.check_id == check_id)).first()
        if row is None:
            return None
        return Review(row.check_id, ReviewDecision(row.decision), row.reviewer, row.reason, row.decided_at)

    def pending(self, limit: int = 100) -> list[Check]:
        """Checks waiting for a reviewer, oldest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(checks)
                .where(checks.c.status == str(CheckStatus.REVIEW))
                .order_by(checks.c.created_at, checks.c.id)
                .limit(limit)
            ).all()
        return [check_from_row(row) for row in rows]
