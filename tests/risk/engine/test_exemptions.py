"""PSD2 SCA exemptions: trusted beneficiary, low value with its counters, transaction-risk analysis by the
fraud-rate band; and, when none applies, the step-up SCA needs and the reason why none did."""

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from risk.engine import (
    Assessment,
    Beneficiary,
    BeneficiaryKind,
    Exemption,
    Kind,
    Outcome,
    RiskEngine,
    SensitiveChange,
)
from tests.risk.engine.conftest import base_assessment

TRUSTED = Beneficiary(BeneficiaryKind.IBAN, "FR1420041010050500013M02606", "DE", trusted=True)


def payment(**changes: Any) -> Assessment:
    return replace(base_assessment(), **changes)


def test_a_trusted_beneficiary_is_exempt(engine: RiskEngine) -> None:
    decision = engine.decide(payment(kind=Kind.PAYOUT, amount=40_000, beneficiary=TRUSTED))
    assert decision.outcome is Outcome.ALLOW
    assert decision.exemption is Exemption.TRUSTED_BENEFICIARY
    assert decision.factors == ()


def test_low_value_counts_five_payments_since_the_last_sca(engine: RiskEngine) -> None:
    quarter_hours = [payment(at=payment().at + 900 * number) for number in range(7)]  # no burst
    for number, paid in enumerate(quarter_hours[:5], start=1):
        decision = engine.decide(paid)
        assert decision.exemption is Exemption.LOW_VALUE
        assert f"{number} since the last SCA" in decision.exemption_note
        engine.record(paid, decision)
    sixth = engine.decide(quarter_hours[5])
    assert sixth.exemption is Exemption.TRANSACTION_RISK_ANALYSIS  # the next exemption in line
    engine.sca_completed("idn_a")
    assert engine.decide(quarter_hours[6]).exemption is Exemption.LOW_VALUE


def test_low_value_stops_at_its_cumulative_amount(engine: RiskEngine) -> None:
    for number in range(3):
        paid = payment(amount=3_000, at=payment().at + number)
        decision = engine.decide(paid)
        assert decision.exemption is Exemption.LOW_VALUE
        engine.record(paid, decision)
    fourth = engine.decide(payment(amount=3_000, at=payment().at + 3))  # 12,000 > 10,000 since the last SCA
    assert fourth.exemption is Exemption.TRANSACTION_RISK_ANALYSIS
    assert engine.decide(payment(amount=1_000, at=payment().at + 3)).exemption is Exemption.LOW_VALUE


def test_low_value_counters_are_the_subjects_own(engine: RiskEngine) -> None:
    for number in range(5):
        engine.record(payment(at=payment().at + number), engine.decide(payment(at=payment().at + number)))
    assert engine.decide(payment(subject="idn_b")).exemption is Exemption.LOW_VALUE


def test_tra_follows_the_fraud_rate_band(rules_file: Path, make_engine: Callable[[Path], RiskEngine]) -> None:
    engine = make_engine(rules_file)
    assert engine.decide(payment(amount=25_000)).exemption is Exemption.TRANSACTION_RISK_ANALYSIS
    refused = engine.decide(payment(amount=25_001))
    assert refused.exemption is None
    assert refused.outcome is Outcome.STEP_UP
    assert "TRA: amount over 25000 EUR at 500 ppm" in refused.exemption_note
    assert [reason.rule for reason in refused.reasons] == ["sca-required"]
    assert refused.factors == ("passkey", "totp")
    assert refused.fallback_factors == ("payment_password",)

    rules_file.write_text(rules_file.read_text().replace("fraud_rate_ppm: 500 #", "fraud_rate_ppm: 90 #"))
    assert (
        make_engine(rules_file).decide(payment(amount=50_000)).exemption
        is Exemption.TRANSACTION_RISK_ANALYSIS
    )
    rules_file.write_text(rules_file.read_text().replace("fraud_rate_ppm: 90 #", "fraud_rate_ppm: 1400 #"))
    none_met = make_engine(rules_file).decide(payment(amount=5_000))
    assert none_met.exemption is None
    assert "TRA: no band for a fraud rate of 1400 ppm in EUR" in none_met.exemption_note


def test_tra_needs_a_score_within_its_maximum(engine: RiskEngine) -> None:
    abroad = Beneficiary(BeneficiaryKind.IBAN, "FR7630006000011234567890189", "FR")
    decision = engine.decide(payment(kind=Kind.PAYOUT, amount=5_000, beneficiary=abroad))
    assert decision.score == 15  # cross-border-payout: an allow rule with a score
    assert decision.exemption is None
    assert "TRA: score 15 over 0" in decision.exemption_note
    assert decision.outcome is Outcome.STEP_UP


@pytest.mark.parametrize(
    ("changes", "note"),
    [
        (
            {"kind": Kind.SENSITIVE_CHANGE, "amount": 0, "sensitive_change": SensitiveChange.NEW_PAYEE},
            "sensitive",
        ),
        ({"amount": 200_000}, "the rules ask for step_up"),
        ({"currency": "USD"}, "low value: no threshold in USD"),
    ],
)
def test_no_exemption_and_why(engine: RiskEngine, changes: dict[str, Any], note: str) -> None:
    decision = engine.decide(payment(**changes))
    assert decision.exemption is None
    assert note in decision.exemption_note
    assert decision.outcome is Outcome.STEP_UP


def test_an_action_sca_does_not_cover_needs_no_exemption(
    rules_file: Path, make_engine: Callable[[Path], RiskEngine]
) -> None:
    rules_file.write_text(
        rules_file.read_text().replace(
            "required_for: [payment, payout, sensitive_change]", "required_for: [payment, sensitive_change]"
        )
    )
    decision = make_engine(rules_file).decide(payment(kind=Kind.PAYOUT, amount=40_000))
    assert decision.outcome is Outcome.ALLOW
    assert decision.exemption is None
    assert decision.exemption_note == "SCA is not required for a payout"
