"""The bodies of `/v1/cases`."""

from typing import Annotated, Any, Literal

from pydantic import Field

from api.schemas import ApiModel
from risk.cases import CaseStatus, SubjectKind


class CaseReasonIn(ApiModel):
    rule: Annotated[str, Field(min_length=1, max_length=100)]
    """The rule or monitor check that found it."""
    text: Annotated[str, Field(min_length=1, max_length=500)]


class CaseCreate(ApiModel):
    subject_kind: SubjectKind
    subject_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
    reasons: Annotated[list[CaseReasonIn], Field(min_length=1, max_length=50)]
    decision_id: Annotated[str, Field(pattern=r"^rd_[0-9a-f]{24}$")] | None = None


class CaseDecisionIn(ApiModel):
    note: Annotated[str, Field(min_length=1, max_length=2000)]
    """Why: kept on the case and in the audit log."""


class CaseOut(ApiModel):
    id: str
    object: Literal["case"] = "case"
    subject_kind: SubjectKind
    subject_id: str
    status: CaseStatus
    reasons: list[dict[str, Any]]
    decision_id: str | None
    opened_at: int
    """Unix seconds, as every time here."""
    opened_by: str
    assignee: str | None
    claimed_at: int | None
    resolved_at: int | None
    resolved_by: str | None
    note: str | None


class CasePage(ApiModel):
    data: list[CaseOut]
    has_more: bool
    next_cursor: str | None
