"""Merchant categories (ISO 18245): the code check merchants and rules share, and the shipped category rules
deciding differently for the same payment at different merchants."""

from dataclasses import replace
from pathlib import Path

import pytest

from risk.engine import Outcome, RiskEngine, RuleFileError, load_rules
from risk.engine.mcc import CATEGORIES, UnknownCategory, check_mcc
from tests.risk.engine.conftest import base_assessment
from tests.risk.engine.test_rulefile import RULE_LINE, write


@pytest.mark.parametrize("code", ["5411", "4829", "6051", "6540", "7995"])
def test_a_known_code_passes(code: str) -> None:
    assert check_mcc(code) == code


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("541", "4 digits"),
        ("54111", "4 digits"),
        ("54a1", "4 digits"),
        ("５４１１", "4 digits"),  # full-width digits are digits to str.isdigit, not to ISO 18245
        ("", "4 digits"),
        ("0000", "not a merchant category this platform knows"),
        ("3999", "not a merchant category this platform knows"),
    ],
)
def test_a_bad_code_is_refused_saying_why(code: str, problem: str) -> None:
    with pytest.raises(UnknownCategory, match=problem):
        check_mcc(code)


def test_every_code_in_the_table_is_four_ascii_digits() -> None:
    assert all(len(code) == 4 and code.isascii() and code.isdigit() for code in CATEGORIES)


@pytest.mark.parametrize(
    ("mcc", "outcome", "rule"),
    [
        ("5411", Outcome.STEP_UP, None),  # groceries: only the amount's step-up (and SCA)
        ("4829", Outcome.REVIEW, "money-transfer-merchant-category"),
        ("6540", Outcome.REVIEW, "money-transfer-merchant-category"),
        ("7995", Outcome.REVIEW, "gambling-merchant-large"),
        (None, Outcome.STEP_UP, None),  # a merchant not categorised meets no category rule
    ],
)
def test_the_category_alone_changes_the_decision(
    engine: RiskEngine, mcc: str | None, outcome: Outcome, rule: str | None
) -> None:
    decision = engine.decide(replace(base_assessment(), amount=200_000, mcc=mcc))
    assert decision.outcome is outcome
    matched = {reason.rule for reason in decision.reasons}
    assert "high-amount" in matched
    category_rules = {"money-transfer-merchant-category", "gambling-merchant-large"}
    assert matched & category_rules == ({rule} if rule else set())


@pytest.mark.parametrize("bad", ["'482'", "'9999'", "{in: ['4829', '48x9']}", "{not_in: ['0001']}"])
def test_a_rule_naming_an_unknown_category_is_refused_with_file_and_line(tmp_path: Path, bad: str) -> None:
    good = "  - {id: ok, when: {mcc: {in: ['4829', '6051']}}, outcome: review, reason: r}\n"
    path = write(tmp_path, good + f"  - {{id: bad, when: {{mcc: {bad}}}, outcome: review, reason: r}}\n")
    with pytest.raises(RuleFileError) as refused:
        load_rules(path)
    assert refused.value.line == RULE_LINE + 1
    assert "mcc has no value" in refused.value.problem
    assert str(refused.value).startswith(f"{path}:{refused.value.line}: ")
