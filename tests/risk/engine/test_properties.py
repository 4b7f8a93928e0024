"""A decision is a pure function of its inputs and the rule file: the same history and rule file, in any
engine, give the same decision for the same assessment; deciding changes nothing; and the outcome is never
milder than a matched enforced rule asks."""

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from risk.engine import (
    Assessment,
    Beneficiary,
    BeneficiaryKind,
    CidrTable,
    Kind,
    KycTier,
    Outcome,
    RiskEngine,
    RuleSource,
    SensitiveChange,
)
from tests.risk.engine.conftest import SHIPPED_COUNTRIES, SHIPPED_RULES, T0, Clock, run_history

IPS = ("192.0.2.7", "198.51.100.7", "203.0.113.7", "81.2.69.7", "2001:db8::7", "100.64.0.7", None)


@st.composite
def assessments(draw: st.DrawFn, at: int = T0) -> Assessment:
    kind = draw(st.sampled_from(Kind))
    beneficiary = draw(
        st.none()
        | st.builds(
            Beneficiary,
            kind=st.sampled_from(BeneficiaryKind),
            value=st.sampled_from(["b1", "b2", "b3"]),
            country=st.sampled_from([None, "DE", "FR", "IR"]),
            trusted=st.booleans(),
        )
    )
    return Assessment(
        subject=draw(st.sampled_from(["idn_a", "idn_b", "idn_c"])),
        kind=kind,
        amount=0 if kind is Kind.SENSITIVE_CHANGE else draw(st.integers(0, 2_000_000)),
        currency=draw(st.sampled_from(["EUR", "USD", "GBP", "CHF"])),
        at=at + draw(st.integers(0, 3 * 86_400)),
        customer_country=draw(st.sampled_from(["DE", "FR"])),
        kyc_tier=draw(st.sampled_from(KycTier)),
        account_age_days=draw(st.integers(0, 100)),
        mcc=draw(st.sampled_from([None, "5411", "7995", "6051"])),
        beneficiary=beneficiary,
        device_id=draw(st.sampled_from([None, "dev_1", "dev_2"])),
        device_new=draw(st.booleans()),
        payee_new=draw(st.booleans()),
        ip=draw(st.sampled_from(IPS)),
        sensitive_change=draw(st.sampled_from(SensitiveChange)) if kind is Kind.SENSITIVE_CHANGE else None,
    )


def fresh_engine(rules: Path) -> RiskEngine:
    return RiskEngine(RuleSource(rules, Clock()), CidrTable.from_csv(SHIPPED_COUNTRIES))


@given(history=st.lists(assessments(), max_size=25), asked=assessments(at=T0 + 3 * 86_400))
def test_same_inputs_and_rule_file_give_the_same_decision(
    history: list[Assessment], asked: Assessment
) -> None:
    history.sort(key=lambda action: action.at)
    first, second = fresh_engine(SHIPPED_RULES), fresh_engine(SHIPPED_RULES)
    run_history(first, history)
    run_history(second, history)
    decision = first.decide(asked)
    assert first.decide(asked) == decision  # deciding changed nothing
    assert second.decide(asked) == decision  # another engine with the same history and file agrees


@given(history=st.lists(assessments(), max_size=25), asked=assessments(at=T0 + 3 * 86_400))
def test_the_outcome_is_never_milder_than_a_matched_rule(
    history: list[Assessment], asked: Assessment
) -> None:
    history.sort(key=lambda action: action.at)
    engine = fresh_engine(SHIPPED_RULES)
    run_history(engine, history)
    decision = engine.decide(asked)
    assert all(decision.outcome >= reason.outcome for reason in decision.reasons)
    assert decision.score == sum(reason.score for reason in decision.reasons)
    assert decision.shadow_outcome >= decision.outcome
    assert (decision.outcome is Outcome.STEP_UP) == bool(decision.factors)
    if decision.exemption is not None:
        assert decision.outcome is Outcome.ALLOW
