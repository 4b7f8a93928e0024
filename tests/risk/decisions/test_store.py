"""Decisions as stored: what an operator reads back, newest first, and the audit record beside each."""

from dataclasses import replace

from sqlalchemy import Engine

from risk.audit import records
from risk.decisions import get_decision, page_decisions, record_decision
from risk.engine import Beneficiary, BeneficiaryKind, Decision, Exemption, Outcome, Reason
from tests.risk.engine.conftest import T0, base_assessment

STEP_UP = Decision(
    outcome=Outcome.STEP_UP,
    score=20,
    reasons=(Reason("high-amount", "2,000 EUR or more", Outcome.STEP_UP, 20),),
    shadow=(Reason("crypto-merchant-category", "crypto", Outcome.REVIEW, 30),),
    shadow_outcome=Outcome.REVIEW,
    factors=("passkey", "totp"),
    fallback_factors=("payment_password",),
    exemption=None,
    exemption_note="no exemption: score 20",
    rules_digest="ab" * 8,
)


def test_a_decision_reads_back_whole_without_personal_data(engine: Engine) -> None:
    asked = replace(
        base_assessment(), beneficiary=Beneficiary(BeneficiaryKind.IBAN, "DE89370400440532013000", "FR")
    )
    with engine.begin() as connection:
        record = record_decision(connection, asked, STEP_UP, now=T0, actor="risk-engine", reference="pi_1")
    with engine.connect() as connection:
        read = get_decision(connection, record.id)
        trail = records(connection, [record.id])
    assert read == record
    assert (read.outcome, read.score, read.first_rule, read.device_id) == (
        "step_up",
        20,
        "high-amount",
        "dev_a",
    )
    assert read.shadow == [
        {"rule": "crypto-merchant-category", "text": "crypto", "outcome": "review", "score": 30}
    ]
    assert read.facts["beneficiary"] == {"kind": "iban", "country": "FR", "trusted": False}
    assert "DE89370400440532013000" not in str(read.facts)
    assert (read.facts["has_ip"], "ip" in read.facts) == (True, False)
    assert [(entry.action, entry.details["outcome"]) for entry in trail] == [("risk.decision", "step_up")]


def test_pages_are_newest_first_and_filtered(engine: Engine) -> None:
    allowed = replace(STEP_UP, outcome=Outcome.ALLOW, reasons=(), exemption=Exemption.LOW_VALUE)
    with engine.begin() as connection:
        made = [
            record_decision(
                connection, replace(base_assessment(), subject=subject), allowed, now=T0 + n, actor="t"
            )
            for n, subject in enumerate(["idn_a", "idn_b", "idn_a"])
        ]
    with engine.connect() as connection:
        assert [r.id for r in page_decisions(connection)] == [made[2].id, made[1].id, made[0].id]
        assert [r.id for r in page_decisions(connection, subject_id="idn_a")] == [made[2].id, made[0].id]
        after = (made[2].created_at, made[2].id)
        assert [r.id for r in page_decisions(connection, after=after, limit=1)] == [made[1].id]
        assert get_decision(connection, "rd_" + "0" * 24) is None
    assert made[0].exemption == "low_value"
    assert made[0].first_rule == "allow"
