"""KYC tier limits: per payment and over the tier window, per currency, a currency not listed refused."""

from dataclasses import replace
from typing import Any

from risk.engine import Assessment, Kind, KycTier, Outcome, RiskEngine, SensitiveChange
from tests.risk.engine.conftest import base_assessment

DAY = 86_400


def light(**changes: Any) -> Assessment:
    return replace(base_assessment(), kyc_tier=KycTier.LIGHT, **changes)


def rules_of(decision_reasons: tuple[Any, ...]) -> list[str]:
    return [reason.rule for reason in decision_reasons]


def test_tier_none_moves_no_money(engine: RiskEngine) -> None:
    unverified = replace(base_assessment(), kyc_tier=KycTier.NONE)
    decision = engine.decide(unverified)
    assert decision.outcome is Outcome.DENY
    assert rules_of(decision.reasons) == ["kyc-tier-none"]
    change = replace(
        unverified, kind=Kind.SENSITIVE_CHANGE, amount=0, sensitive_change=SensitiveChange.NEW_PAYEE
    )
    assert engine.decide(change).outcome is Outcome.STEP_UP  # tier limits bound money, not changes


def test_tier_light_single_payment_limit(engine: RiskEngine) -> None:
    assert "kyc-tier-light" not in rules_of(engine.decide(light(amount=100_000)).reasons)
    over = engine.decide(light(amount=100_001))
    assert over.outcome is Outcome.DENY
    assert "100000 EUR a payment" in over.reasons[-1].text


def test_tier_light_window_limit_counts_recorded_payments(engine: RiskEngine) -> None:
    t0 = base_assessment().at
    for days_ago in (20, 10):
        paid = light(amount=100_000, at=t0 - days_ago * DAY)
        engine.record(paid, engine.decide(paid))
    over = engine.decide(light(amount=60_000))  # 260,000 > 250,000 over 30 days
    assert over.outcome is Outcome.DENY
    assert "per 2592000 s" in over.reasons[-1].text
    assert engine.decide(light(amount=50_000)).outcome is not Outcome.DENY
    assert engine.decide(light(amount=60_000, at=t0 + 11 * DAY)).outcome is not Outcome.DENY  # one slid out
    assert engine.decide(light(amount=60_000, currency="USD")).outcome is not Outcome.DENY  # per currency


def test_a_currency_the_tier_does_not_list_is_refused(engine: RiskEngine) -> None:
    decision = engine.decide(replace(base_assessment(), currency="CHF"))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons[-1].text == "KYC tier full has no limit in CHF"


def test_a_denied_payment_is_not_counted(engine: RiskEngine) -> None:
    denied = light(amount=200_000)
    decision = engine.decide(denied)
    assert decision.outcome is Outcome.DENY
    engine.record(denied, decision)
    assert engine.decide(light(amount=100_000)).outcome is not Outcome.DENY
