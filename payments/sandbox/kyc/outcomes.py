"""What the sandbox decides for an applicant: a pure function of the submitted test data, so a test picks
its outcome by what it submits (the table in docs/risk.md, "KYC provider").

Document numbers (a `full` check) decide by their last four characters: `9001` rejected
(`document_not_genuine`), `9002` sent to the provider's manual review (`document_unclear`), `9003`
rejected as expired (`document_expired`); any other number is clear. A document whose `expires_on` is
before today is rejected as expired whatever its number. Names (any check) containing the word `REJECT`
are rejected (`identity_not_found`), containing `REVIEW` go to review (`identity_partial_match`); an
applicant under 18 is rejected (`underage`).
"""

import datetime
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

ADULT_YEARS: Final = 18


class Result(StrEnum):
    CLEAR = "clear"
    REJECTED = "rejected"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class Applicant:
    """What was submitted: the level asked (`light`, `full`), the person and, for `full`, the document."""

    level: str
    full_name: str
    date_of_birth: datetime.date
    country: str
    document_number: str | None = None
    document_expires_on: datetime.date | None = None


DOCUMENT_SUFFIXES: Final = {
    "9001": (Result.REJECTED, "document_not_genuine"),
    "9002": (Result.REVIEW, "document_unclear"),
    "9003": (Result.REJECTED, "document_expired"),
}


def _age(born: datetime.date, today: datetime.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def decide(applicant: Applicant, today: datetime.date) -> tuple[Result, tuple[str, ...]]:
    """The result and its reasons; a rejection outranks a review, every reason found is given."""
    rejected: list[str] = []
    review: list[str] = []
    words = applicant.full_name.upper().split()
    if "REJECT" in words:
        rejected.append("identity_not_found")
    if "REVIEW" in words:
        review.append("identity_partial_match")
    if _age(applicant.date_of_birth, today) < ADULT_YEARS:
        rejected.append("underage")
    if applicant.level == "full" and applicant.document_number:
        found = DOCUMENT_SUFFIXES.get(applicant.document_number.strip()[-4:])
        if found is not None:
            (rejected if found[0] is Result.REJECTED else review).append(found[1])
        expiry = applicant.document_expires_on
        if expiry is not None and expiry < today and "document_expired" not in rejected:
            rejected.append("document_expired")
    if rejected:
        return Result.REJECTED, tuple(rejected)
    if review:
        return Result.REVIEW, tuple(review)
    return Result.CLEAR, ()
