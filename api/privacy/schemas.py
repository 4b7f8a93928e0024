"""Bodies of the `/v1/privacy` routes."""

from typing import Any, Literal

from pydantic import Field

from api.schemas import ApiModel


class ErasureRequest(ApiModel):
    """How the customer confirms the erasure: one of their enrolled factors, if they have any."""

    factor: Literal["totp", "payment_password", "recovery_code"] | None = None
    """The factor confirming (required when the subject has a usable factor enrolled)."""
    secret: str | None = Field(default=None, min_length=1, max_length=128)
    """The factor's code, password or recovery code."""


class ErasureOut(ApiModel):
    """The record of a subject's erasure (the same record however often it is asked)."""

    id: str
    subject_id: str
    requested_by: str
    created_at: int
    erased: dict[str, int]
    """Each table and the rows erased from it."""
    kept: dict[str, str]
    """Each table kept, and the law that keeps it."""


class ReportCellOut(ApiModel):
    row: str
    """The day (YYYY-MM-DD), or `*` for the column's total."""
    column: str
    """The dimension's value, or `*` for the row's total."""
    events: int | None
    """None when suppressed."""
    amount: str | None
    """Minor units as a decimal string (only with `currency`); None when suppressed."""
    suppressed: bool


class ReportOut(ApiModel):
    dimension: str
    k: int
    rows: list[str]
    columns: list[str]
    cells: list[ReportCellOut]


Export = dict[str, Any]
