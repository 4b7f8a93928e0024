"""The review queue: cases opened on a subject (a customer, a merchant, a payment intent, a payout) by the
risk engine's `review` decisions or by the monitoring, claimed and decided by operators, each action on the
risk audit log, with a compliance report per case. `open_case` is the function other parts call."""

from risk.cases.cases import claim, get_case, open_case, page_cases, resolve
from risk.cases.errors import CaseConflict, CaseError, CaseNotFound, InvalidCase
from risk.cases.model import Case, CaseStatus, SubjectKind
from risk.cases.report import case_report, report_text
from risk.cases.resolution import Resolutions

__all__ = [
    "Case",
    "CaseConflict",
    "CaseError",
    "CaseNotFound",
    "CaseStatus",
    "InvalidCase",
    "Resolutions",
    "SubjectKind",
    "case_report",
    "claim",
    "get_case",
    "open_case",
    "page_cases",
    "report_text",
    "resolve",
]
