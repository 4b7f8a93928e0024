"""Bodies of the `/v1/privacy` routes."""

import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from api.schemas import ApiModel


class ErasureRequest(ApiModel):
    """How the customer confirms the erasure: one of their enrolled factors, if they have any."""

    factor: Literal["totp", "payment_password", "recovery_code"] | None = None
    """The factor confirming (required when the subject has a usable factor enrolled)."""
    secret: str | None = Field(default=None, min_length=1, max_length=128)
    """The factor's code, password or recovery code."""


class ContactIn(ApiModel):
    """My contact details, replaced whole (a field left out is cleared). Identity documents are not set
    here: they come from the KYC provider."""

    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{6,14}$")
    """E.164, e.g. `+4915112345678`."""
    birth_date: datetime.date | None = None
    residence_country: str | None = Field(default=None, pattern="^[A-Z]{2}$")
    """ISO 3166-1 alpha-2."""

    @field_validator("birth_date")
    @classmethod
    def _plausible(cls, value: datetime.date | None) -> datetime.date | None:
        if (
            value is not None
            and not datetime.date(1900, 1, 1) <= value <= datetime.datetime.now(datetime.UTC).date()
        ):
            raise ValueError("a birth date between 1900-01-01 and today")
        return value


class ContactOut(ContactIn):
    """My contact details as stored, and whether an identity document is on file (its data is not shown
    here: the export has it)."""

    document_on_file: bool
    updated_at: int | None


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
