"""The review queue: a case opened, claimed and decided once, each action audited, its report exported,
and its subject's owner told through the registered handler."""

import pytest
from sqlalchemy import Engine

from risk.audit import verify
from risk.cases import (
    Case,
    CaseConflict,
    CaseNotFound,
    CaseStatus,
    InvalidCase,
    Resolutions,
    SubjectKind,
    case_report,
    claim,
    get_case,
    open_case,
    page_cases,
    report_text,
    resolve,
)
from tests.risk.engine.conftest import T0

REASONS = [{"rule": "structuring", "text": "five payouts just under the limit"}]


def opened(engine: Engine, subject: str = "idn_a", kind: SubjectKind = SubjectKind.CUSTOMER) -> Case:
    with engine.begin() as connection:
        return open_case(connection, kind, subject, REASONS, opened_by="monitor", now=T0)


def test_a_case_is_claimed_then_decided_once(engine: Engine) -> None:
    case = opened(engine)
    assert (case.status, case.reasons, case.decision_id) == (CaseStatus.OPEN, REASONS, None)
    with engine.begin() as connection:
        held = claim(connection, case.id, "op:alice", T0 + 5)
        assert claim(connection, case.id, "op:alice", T0 + 6) == held  # one's own claim again: no change
        with pytest.raises(CaseConflict) as taken:
            claim(connection, case.id, "op:bob", T0 + 6)
        assert taken.value.status == "claimed"
        with pytest.raises(CaseConflict):
            resolve(connection, case.id, approve=True, operator="op:bob", note="mine now", now=T0 + 7)
        decided, changed = resolve(
            connection, case.id, approve=False, operator="op:alice", note="sanctioned", now=T0 + 9
        )
        again, changed_again = resolve(
            connection, case.id, approve=False, operator="op:alice", note="x", now=T0 + 10
        )
        with pytest.raises(CaseConflict):
            resolve(connection, case.id, approve=True, operator="op:alice", note="oops", now=T0 + 11)
    assert (decided.status, decided.resolved_by, decided.note, changed) == (
        CaseStatus.REJECTED,
        "op:alice",
        "sanctioned",
        True,
    )
    assert (again, changed_again) == (decided, False)
    with engine.connect() as connection:
        assert get_case(connection, case.id) == decided
        assert verify(connection).ok


def test_an_open_case_is_decided_by_whoever_reviews_it(engine: Engine) -> None:
    case = opened(engine)
    with engine.begin() as connection:
        decided, _ = resolve(connection, case.id, approve=True, operator="op:bob", note="fine", now=T0 + 1)
    assert (decided.status, decided.assignee, decided.claimed_at) == (CaseStatus.APPROVED, "op:bob", T0 + 1)


@pytest.mark.parametrize(
    ("kind", "subject", "reasons", "field"),
    [
        ("wallet", "idn_a", REASONS, "subject_kind"),
        ("customer", "", REASONS, "subject_id"),
        ("customer", "idn_a", [], "reasons"),
        ("customer", "idn_a", [{"rule": "r"}], "reasons"),
    ],
)
def test_a_case_needs_a_subject_and_a_reason(
    engine: Engine, kind: str, subject: str, reasons: list, field: str
) -> None:
    with engine.begin() as connection, pytest.raises(InvalidCase) as refused:
        open_case(connection, kind, subject, reasons, opened_by="monitor", now=T0)
    assert refused.value.field == field


def test_a_decision_needs_a_note_and_an_existing_case(engine: Engine) -> None:
    case = opened(engine)
    with engine.begin() as connection:
        with pytest.raises(InvalidCase) as blank:
            resolve(connection, case.id, approve=True, operator="op", note="  ", now=T0)
        assert blank.value.field == "note"
        with pytest.raises(CaseNotFound):
            claim(connection, "case_" + "0" * 24, "op", T0)


def test_the_queue_lists_oldest_first_by_status_and_subject(engine: Engine) -> None:
    first, second = opened(engine, "idn_a"), opened(engine, "pi_1", SubjectKind.PAYMENT_INTENT)
    with engine.begin() as connection:
        claim(connection, first.id, "op", T0 + 1)
        assert [c.id for c in page_cases(connection, status=CaseStatus.OPEN)] == [second.id]
        assert [c.id for c in page_cases(connection, subject_kind=SubjectKind.CUSTOMER)] == [first.id]
        everything = sorted([first, second], key=lambda c: (c.opened_at, c.id))
        assert [c.id for c in page_cases(connection)] == [c.id for c in everything]
        assert [c.id for c in page_cases(connection, after=(T0, everything[0].id))] == [everything[1].id]


def test_the_report_carries_the_case_and_its_audit_trail(engine: Engine) -> None:
    case = opened(engine)
    with engine.begin() as connection:
        resolve(connection, case.id, approve=True, operator="op:alice", note="documents fine", now=T0 + 3)
        report = case_report(connection, case.id)
    assert report["case"]["status"] == "approved"
    assert [entry["action"] for entry in report["audit"]] == ["risk.case.opened", "risk.case.approved"]
    text = report_text(report)
    assert "Decided approved at 1800000003 by op:alice" in text
    assert "  - structuring: five payouts just under the limit" in text


def test_resolutions_dispatch_a_decided_case_to_its_kinds_handler(engine: Engine) -> None:
    told: list[Case] = []
    registry = Resolutions()
    registry.register(SubjectKind.PAYMENT_INTENT, told.append)
    intent_case, customer_case = opened(engine, "pi_1", SubjectKind.PAYMENT_INTENT), opened(engine)
    with pytest.raises(ValueError, match="only a decided case"):
        registry.dispatch(intent_case)
    with engine.begin() as connection:
        decided, _ = resolve(connection, intent_case.id, approve=True, operator="op", note="ok", now=T0)
        other, _ = resolve(connection, customer_case.id, approve=True, operator="op", note="ok", now=T0)
    assert registry.dispatch(decided) is True
    assert registry.dispatch(other) is False
    assert told == [decided]
