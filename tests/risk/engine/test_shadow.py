"""Shadow rules score and are reported, never enforced: per rule, or for the whole file (`mode: shadow`)."""

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from risk.engine import Outcome, RiskEngine
from tests.risk.engine.conftest import base_assessment


def test_a_shadow_rule_is_reported_apart_and_changes_nothing(engine: RiskEngine) -> None:
    plain = engine.decide(base_assessment())
    crypto = engine.decide(replace(base_assessment(), mcc="6051"))
    assert [reason.rule for reason in crypto.shadow] == ["crypto-merchant-category"]
    assert crypto.reasons == plain.reasons
    assert (crypto.outcome, crypto.score, crypto.exemption) == (plain.outcome, plain.score, plain.exemption)
    assert crypto.shadow_outcome is Outcome.REVIEW


def test_a_file_in_shadow_mode_enforces_no_rule(
    rules_file: Path, make_engine: Callable[[Path], RiskEngine]
) -> None:
    rules_file.write_text(rules_file.read_text().replace("mode: enforce", "mode: shadow"))
    engine = make_engine(rules_file)
    decision = engine.decide(replace(base_assessment(), amount=1_000_000, ip="203.0.113.9"))
    assert decision.score == 0
    assert {reason.rule for reason in decision.shadow} == {"large-amount", "high-amount", "country-mismatch"}
    assert decision.shadow_outcome is Outcome.REVIEW
    # the rules are in shadow, SCA is not: 10,000 EUR is no exemption's, so it still needs a step-up
    assert decision.outcome is Outcome.STEP_UP
    assert [reason.rule for reason in decision.reasons] == ["sca-required"]
    assert decision.factors == ("passkey", "totp")


def test_shadow_scores_count_towards_the_shadow_outcome_only(
    rules_file: Path, make_engine: Callable[[Path], RiskEngine]
) -> None:
    rules_file.write_text(rules_file.read_text().replace("mode: enforce", "mode: shadow"))
    engine = make_engine(rules_file)
    # high-amount (20) + country-mismatch (20) + a lottery (20) = 60: over the step-up threshold, in shadow
    # (a lottery, 7800: a casino's 7995 at this amount meets gambling-merchant-large too)
    decision = engine.decide(replace(base_assessment(), amount=200_000, ip="203.0.113.9", mcc="7800"))
    assert sum(reason.score for reason in decision.shadow) == 60
    assert decision.score == 0
    assert decision.shadow_outcome is Outcome.STEP_UP
