"""A case in the review queue: what it is about (its subject), why it was opened, who holds it, how it
ended."""

import enum
from dataclasses import dataclass
from typing import Any


class SubjectKind(enum.StrEnum):
    """What a case is about; its subject's owner is told how it ended (`resolution`)."""

    CUSTOMER = "customer"
    MERCHANT = "merchant"
    PAYMENT_INTENT = "payment_intent"
    PAYOUT = "payout"


class CaseStatus(enum.StrEnum):
    """open -> claimed (an operator holds it) -> approved | rejected (final)."""

    OPEN = "open"
    CLAIMED = "claimed"
    APPROVED = "approved"
    REJECTED = "rejected"


FINAL_STATUSES = frozenset({CaseStatus.APPROVED, CaseStatus.REJECTED})


@dataclass(frozen=True)
class Case:
    """Times are unix seconds; `reasons` are the decision's reasons or the monitor's findings (JSON objects
    with at least `rule` and `text`)."""

    id: str
    subject_kind: SubjectKind
    subject_id: str
    status: CaseStatus
    reasons: list[dict[str, Any]]
    decision_id: str | None
    opened_at: int
    opened_by: str
    assignee: str | None = None
    claimed_at: int | None = None
    resolved_at: int | None = None
    resolved_by: str | None = None
    note: str | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES
