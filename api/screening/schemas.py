"""The bodies of `/v1/screening`. Times are unix milliseconds; scores are 0-100."""

from typing import Literal

from pydantic import Field

from api.schemas import ApiModel

SCREENING_ID_PATTERN = r"^scr_[0-9a-f]{24}$"
SUBJECT_PATTERN = r"^[A-Za-z0-9_:.-]{1,64}$"


class ScreenIn(ApiModel):
    """What to screen on demand: a name (fuzzy), a chain address or an IBAN (exact)."""

    kind: Literal["name", "chain_address", "iban"]
    value: str = Field(min_length=1, max_length=512)
    subject_id: str | None = Field(default=None, pattern=SUBJECT_PATTERN)
    """Whom the value belongs to (an identity, merchant or refund id); default `manual:<your key id>`."""


class HitOut(ApiModel):
    ent_num: int
    """The listed entry's number (OFAC's `ent_num`)."""
    kind: Literal["name", "alias", "address", "iban"]
    listed: str
    score: float
    programs: list[str]


class ScreeningOut(ApiModel):
    id: str
    object: Literal["screening"] = "screening"
    subject_id: str
    kind: Literal["name", "chain_address", "iban"]
    value: str
    list_version: str
    trigger: Literal["onboarding", "payout", "list_change", "manual"]
    outcome: Literal["clear", "potential_match", "match"]
    standing: Literal["clear", "pending_review", "blocked"]
    """`blocked`: a listed identifier or a confirmed name; `pending_review`: waits for a reviewer."""
    hits: list[HitOut]
    created_at: int
    decision: Literal["confirmed", "false_positive"] | None = None
    reviewer: str | None = None
    reason: str | None = None
    decided_at: int | None = None


class ScreeningList(ApiModel):
    object: Literal["list"] = "list"
    data: list[ScreeningOut]


class DecisionIn(ApiModel):
    """A reviewer's word on a potential match: `false_positive` clears it, `confirmed` blocks the subject."""

    decision: Literal["confirmed", "false_positive"]
    reason: str = Field(min_length=1, max_length=512)


class SubjectOut(ApiModel):
    subject_id: str
    standing: Literal["clear", "pending_review", "blocked"]
    screenings: list[ScreeningOut]
    """The screening standing for each thing the subject was screened on, latest first."""


class ListOut(ApiModel):
    object: Literal["screening_list"] = "screening_list"
    version: str
    """The SHA-256 of the list's files."""
    entries: int


class ListFiles(ApiModel):
    """A list in the OFAC SDN CSV format, each file base64 (standard alphabet): `SDN.CSV` required, the
    others optional (a file left out is removed from the list)."""

    sdn: str = Field(min_length=1, max_length=64_000_000)
    alt: str | None = Field(default=None, max_length=64_000_000)
    add: str | None = Field(default=None, max_length=64_000_000)
    comments: str | None = Field(default=None, max_length=64_000_000)


class ListReplaced(ListOut):
    rescreened: int
    """How many known subjects' items were screened again against this version."""
    not_clear: list[ScreeningOut]
    """The re-screenings that did not come out clear (now blocked or waiting for a reviewer)."""
