"""A bad rule file is refused with its file, the line of the fault, and what is wrong."""

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from risk.engine import CidrTable, Kind, Outcome, RuleFileError, load_rules
from risk.engine.facts import Facts
from risk.engine.velocity import VelocityWindows
from tests.risk.engine.conftest import SHIPPED_RULES, base_assessment

HEAD = """\
version: 1
windows: {10m: 600, 30d: 2592000}
step_up: {factors: [passkey], fallback: [payment_password]}
kyc_tiers:
  window: 30d
  outcome: deny
  limits:
    none: {single: {EUR: 0}, window: {EUR: 0}}
    light: {single: {EUR: 100}, window: {EUR: 100}}
    full: {single: {EUR: 1000}, window: {EUR: 1000}}
sca:
  required_for: [payment]
  low_value: {single: {EUR: 3000}, cumulative: {EUR: 10000}, max_count: 5}
  transaction_risk_analysis:
    fraud_rate_ppm: 500
    max_score: 0
    bands: [{fraud_rate_ppm: 1300, up_to: {EUR: 10000}}]
rules:
"""
RULE_LINE = HEAD.count("\n") + 1  # the first line after HEAD


def write(tmp_path: Path, rules: str, head: str = HEAD) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(head + rules)
    return path


def test_a_good_file_loads(tmp_path: Path) -> None:
    rules = load_rules(
        write(
            tmp_path,
            "  - {id: big, when: {amount: {gte: {EUR: 5}}}, outcome: review, reason: big, score: 3}\n",
        )
    )
    assert [rule.id for rule in rules.rules] == ["big"]
    assert rules.rules[0].reason.outcome is Outcome.REVIEW
    assert rules.rules[0].line == RULE_LINE


@pytest.mark.parametrize("conditions", [1, 2, 3, 4, 5])
def test_a_rule_matches_only_when_all_its_conditions_hold(tmp_path: Path, conditions: int) -> None:
    """Rules of one to five conditions (compiled differently by count), each condition failing in turn."""
    fields = ["kind: payment", "currency: EUR", "mcc: '7995'", "customer_country: DE", "device_new: true"]
    when = ", ".join(fields[:conditions])
    rules = load_rules(write(tmp_path, f"  - {{id: a, when: {{{when}}}, outcome: deny, reason: r}}\n"))
    matches = rules.rules[0].matches
    facts = Facts(replace(base_assessment(), mcc="7995", device_new=True), VelocityWindows([]), CidrTable([]))
    assert matches(facts)
    misses: list[dict[str, Any]] = [{"kind": Kind.PAYOUT}, {"currency": "USD"}, {"mcc": "5411"}]
    misses += [{"customer_country": "FR"}, {"device_new": False}]
    for changes in misses[:conditions]:
        changed = replace(facts.assessment, **changes)
        assert not matches(Facts(changed, VelocityWindows([]), CidrTable([])))


@pytest.mark.parametrize(
    ("rules", "line", "problem"),
    [
        (
            "  - {id: a, when: {amout: {gte: {EUR: 5}}}, outcome: deny, reason: r}\n",
            0,
            "unknown field 'amout'",
        ),
        (
            "  - {id: a, when: {amount: {eq: {EUR: 5}}}, outcome: deny, reason: r}\n",
            0,
            "operators are lt, lte",
        ),
        ("  - {id: a, when: {amount: {gte: 500}}, outcome: deny, reason: r}\n", 0, "amounts per currency"),
        ("  - {id: a, when: {amount: {gte: {EUR: 1.5}}}, outcome: deny, reason: r}\n", 0, "non-negative int"),
        (
            "  - {id: a, when: {amount: {gte: {euro: 5}}}, outcome: deny, reason: r}\n",
            0,
            "not a currency code",
        ),
        ("  - {id: a, when: {device_new: yes please}, outcome: deny, reason: r}\n", 0, "true or false"),
        ("  - {id: a, when: {kind: {in: [refund]}}, outcome: deny, reason: r}\n", 0, "no value 'refund'"),
        ("  - {id: a, when: {kind: {in: []}}, outcome: deny, reason: r}\n", 0, "non-empty list"),
        (
            "  - {id: a, when: {account_age_days: {lt: '7'}}, outcome: deny, reason: r}\n",
            0,
            "needs an integer",
        ),
        (
            "  - {id: a, when: {velocity.customer.1h.count: {gte: 3}}, outcome: deny, reason: r}\n",
            0,
            "'1h' is not",
        ),
        (
            "  - {id: a, when: {velocity.merchant.10m.count: {gte: 3}}, outcome: deny, reason: r}\n",
            0,
            "dimension",
        ),
        (
            "  - {id: a, when: {velocity.card.10m.avg: {gte: 3}}, outcome: deny, reason: r}\n",
            0,
            "measure 'avg'",
        ),
        ("  - {id: a, when: {}, outcome: deny, reason: r}\n", 0, "at least one condition"),
        ("  - {id: a, when: {mcc: '7995'}, outcome: block, reason: r}\n", 0, "outcome must be one of"),
        ("  - {id: a, when: {mcc: '7995'}, outcome: step_up, reason: r}\n", 0, "names its factors"),
        (
            "  - {id: a, when: {mcc: '7995'}, outcome: deny, factors: [totp], reason: r}\n",
            0,
            "only a step_up",
        ),
        (
            "  - {id: a, when: {mcc: '7995'}, outcome: step_up, factors: [sms], reason: r}\n",
            0,
            "factors must be",
        ),
        ("  - {id: a, when: {mcc: '7995'}, outcome: deny, reason: r, score: -1}\n", 0, "integer >= 0"),
        ("  - {id: a, when: {mcc: '7995'}, outcome: deny, reason: r, shadow: maybe}\n", 0, "true or false"),
        (
            "  - {id: a, when: {mcc: '7995'}, outcome: deny, reason: r, weight: 3}\n",
            0,
            "unknown key 'weight'",
        ),
        ("  - {id: a, when: {mcc: '7995'}, outcome: deny}\n", 0, "missing key 'reason'"),
        ("  - {id: A_1, when: {mcc: '7995'}, outcome: deny, reason: r}\n", 0, "a rule id is"),
        (
            "  - {id: a, when: {mcc: '7995'}, outcome: deny, reason: r}\n"
            "  - {id: a, when: {mcc: '5411'}, outcome: deny, reason: r}\n",
            1,
            "used twice",
        ),
        ("  - id: a\n    id: b\n", 1, "duplicate key 'id'"),
        ("  - {id: a, when: {mcc: [7995}, outcome: deny}\n", 0, "not YAML"),
    ],
)
def test_a_bad_rule_is_refused_with_file_and_line(
    tmp_path: Path, rules: str, line: int, problem: str
) -> None:
    path = write(tmp_path, rules)
    with pytest.raises(RuleFileError) as refused:
        load_rules(path)
    assert refused.value.line == RULE_LINE + line
    assert problem in refused.value.problem
    assert str(refused.value).startswith(f"{path}:{RULE_LINE + line}: ")


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("version: 1", "version: 2", "version must be 1"),
        ("version: 1", "version: 1\nverbose: true", "unknown key 'verbose'"),
        ("  window: 30d", "  window: 7d", "kyc_tiers window"),
        ("    full: {single: {EUR: 1000}, window: {EUR: 1000}}\n", "", "missing key 'full'"),
        ("10m: 600", "10m: 0", "integer >= 1"),
        ("required_for: [payment]", "required_for: [refund]", "required_for must be one of"),
        ("max_count: 5", "max_count: 0", "integer >= 1"),
        ("bands: [{fraud_rate_ppm: 1300, up_to: {EUR: 10000}}]", "bands: []", "non-empty list"),
    ],
)
def test_a_bad_section_is_refused(tmp_path: Path, old: str, new: str, problem: str) -> None:
    assert old in HEAD
    head = HEAD.replace(old, new)
    path = write(tmp_path, "  - {id: a, when: {mcc: '7995'}, outcome: deny, reason: r}\n", head)
    with pytest.raises(RuleFileError) as refused:
        load_rules(path)
    assert problem in refused.value.problem
    assert refused.value.line >= 1


def test_thresholds_must_rise_with_the_outcome(tmp_path: Path) -> None:
    head = HEAD.replace("version: 1\n", "version: 1\nthresholds:\n  step_up: 50\n  review: 40\n")
    with pytest.raises(RuleFileError) as refused:
        load_rules(write(tmp_path, "  - {id: a, when: {mcc: '7995'}, outcome: deny, reason: r}\n", head))
    assert refused.value.line == 3
    assert "must rise" in refused.value.problem


def test_an_empty_or_missing_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n")
    with pytest.raises(RuleFileError, match="empty"):
        load_rules(empty)
    with pytest.raises(RuleFileError, match="cannot read"):
        load_rules(tmp_path / "absent.yaml")


def test_the_shipped_file_loads_with_its_digest() -> None:
    rules = load_rules(SHIPPED_RULES)
    assert len(rules.digest) == 16
    assert rules.rules
    assert not rules.shadow
