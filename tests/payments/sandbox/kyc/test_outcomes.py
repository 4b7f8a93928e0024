"""The sandbox KYC provider's test data: each documented outcome, decided from what was submitted."""

import datetime

import pytest

from payments.sandbox.kyc.outcomes import Applicant, Result, decide

TODAY = datetime.date(2026, 12, 7)


def applicant(**fields: object) -> Applicant:
    base: dict[str, object] = {
        "level": "full",
        "full_name": "Erika Mustermann",
        "date_of_birth": datetime.date(1984, 8, 12),
        "country": "DE",
        "document_number": "P1234567",
        "document_expires_on": datetime.date(2030, 1, 1),
    }
    return Applicant(**(base | fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "result", "reasons"),
    [
        ({}, Result.CLEAR, ()),
        ({"document_number": "C0009001"}, Result.REJECTED, ("document_not_genuine",)),
        ({"document_number": "C0009002"}, Result.REVIEW, ("document_unclear",)),
        ({"document_number": "C0009003"}, Result.REJECTED, ("document_expired",)),
        ({"document_expires_on": datetime.date(2026, 12, 6)}, Result.REJECTED, ("document_expired",)),
        ({"document_expires_on": TODAY}, Result.CLEAR, ()),
        ({"full_name": "Max reject Muster"}, Result.REJECTED, ("identity_not_found",)),
        ({"full_name": "Max Review Muster"}, Result.REVIEW, ("identity_partial_match",)),
        ({"full_name": "Max Rejected"}, Result.CLEAR, ()),
        ({"date_of_birth": datetime.date(2008, 12, 8)}, Result.REJECTED, ("underage",)),
        ({"date_of_birth": datetime.date(2008, 12, 7)}, Result.CLEAR, ()),
        (
            {"document_number": "C0009002", "full_name": "A Reject"},
            Result.REJECTED,
            ("identity_not_found",),
        ),
        ({"level": "light", "document_number": None, "document_expires_on": None}, Result.CLEAR, ()),
        # A light check asks about no document: its number decides nothing.
        ({"level": "light", "document_number": "C0009001"}, Result.CLEAR, ()),
    ],
)
def test_each_outcome_follows_the_test_data(
    fields: dict[str, object], result: Result, reasons: tuple[str, ...]
) -> None:
    assert decide(applicant(**fields), TODAY) == (result, reasons)
