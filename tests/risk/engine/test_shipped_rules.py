"""One case per rule of config/risk/rules.yaml: an action (after some history) that the rule matches, and
the same history with one change that it does not. A rule added to the file without a case fails here."""

from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from risk.engine import (
    Assessment,
    Beneficiary,
    BeneficiaryKind,
    Kind,
    Outcome,
    RiskEngine,
    SensitiveChange,
    load_rules,
)
from tests.risk.engine.conftest import SHIPPED_RULES, T0, base_assessment, run_history

IBAN = Beneficiary(BeneficiaryKind.IBAN, "DE89370400440532013000", "DE")


def action(**changes: Any) -> Assessment:
    return replace(base_assessment(), **changes)


def payout(**changes: Any) -> Assessment:
    return action(**{"kind": Kind.PAYOUT, "beneficiary": IBAN, **changes})


def change(kind: SensitiveChange, **changes: Any) -> Assessment:
    return action(kind=Kind.SENSITIVE_CHANGE, amount=0, sensitive_change=kind, **changes)


@dataclass(frozen=True)
class Case:
    rule: str
    hit: Assessment
    miss: Assessment
    history: tuple[Assessment, ...] = field(default=())


def others(count: int, seconds_apart: int, **changes: Any) -> tuple[Assessment, ...]:
    """`count` actions by as many other customers (each its own device and IP unless given), before T0."""
    made = []
    for number in range(count):
        own: dict[str, Any] = {
            "subject": f"idn_o{number}",
            "device_id": f"dev_o{number}",
            "ip": f"5.1.0.{number}",
        }
        made.append(action(**{**own, **changes, "at": T0 - seconds_apart * (count - number)}))
    return tuple(made)


CARD = Beneficiary(BeneficiaryKind.CARD, "card_fp_1", "DE")
ADDRESS = Beneficiary(BeneficiaryKind.ADDRESS, "0x52908400098527886E0F7030069857D2E4169EE7")
CASES = [
    Case(
        "sanctioned-beneficiary-country",
        payout(beneficiary=replace(IBAN, country="IR")),
        payout(beneficiary=replace(IBAN, country="FR")),
    ),
    Case("large-amount", action(amount=1_000_000), action(amount=999_999)),
    Case("high-amount", action(amount=200_000), action(amount=199_999)),
    Case(
        "customer-burst",
        action(),
        action(at=T0 + 700),  # the five slid out of the 10-minute window
        tuple(action(at=T0 - 60 * n, device_id=f"dev_{n}", ip=f"5.1.0.{n}") for n in range(1, 6)),
    ),
    Case(
        "customer-daily-volume",
        action(),
        action(currency="USD"),  # sums are per currency
        (action(amount=800_000, at=T0 - 7200), action(amount=800_000, at=T0 - 3600)),
    ),
    Case("device-burst", action(), action(device_id="dev_b"), others(20, 60, device_id="dev_a")),
    Case("ip-burst", action(), action(ip="192.0.2.11"), others(30, 60, ip="192.0.2.10")),
    Case(
        "card-testing",
        action(amount=100, beneficiary=CARD),
        action(amount=501, beneficiary=CARD),
        others(3, 60, amount=100, beneficiary=CARD),
    ),
    Case(
        "iban-fan-in",
        payout(),
        payout(at=T0 + 2 * 86400),
        others(10, 600, kind=Kind.PAYOUT, beneficiary=IBAN),
    ),
    Case(
        "address-fan-in",
        payout(beneficiary=ADDRESS),
        payout(beneficiary=Beneficiary(BeneficiaryKind.IBAN, ADDRESS.value)),  # another dimension
        others(10, 600, kind=Kind.PAYOUT, beneficiary=ADDRESS),
    ),
    Case("new-device-payout", payout(device_new=True), payout(device_new=False)),
    Case(
        "new-device-new-payee",
        action(device_new=True, payee_new=True),
        action(device_new=True, payee_new=False),
    ),
    Case("country-mismatch", action(ip="203.0.113.5"), action(ip="192.0.2.77")),
    Case(
        "cross-border-payout",
        payout(beneficiary=replace(IBAN, country="FR")),
        payout(beneficiary=replace(IBAN, country="DE")),
    ),
    Case("sensitive-change", change(SensitiveChange.FACTOR_CHANGE), action()),
    Case(
        "sensitive-change-new-device",
        change(SensitiveChange.LIMIT_CHANGE, device_new=True),
        change(SensitiveChange.LIMIT_CHANGE),
    ),
    Case(
        "large-derivative-change",
        action(kind=Kind.DERIVATIVE_ORDER, currency="QTU", amount=10**12),
        action(currency="QTU", amount=10**12),
    ),
    Case(
        "young-account-withdrawal-address",
        change(SensitiveChange.NEW_WITHDRAWAL_ADDRESS, account_age_days=6),
        change(SensitiveChange.NEW_WITHDRAWAL_ADDRESS, account_age_days=7),
    ),
    Case(
        "young-account-payout",
        payout(amount=50_000, account_age_days=29),
        payout(amount=50_000, account_age_days=30),
    ),
    Case("high-risk-merchant-category", action(mcc="7995"), action(mcc="5411")),
    Case(
        "money-transfer-merchant-category",
        action(mcc="4829", amount=50_000),
        action(mcc="4829", amount=49_999),
    ),
    Case(
        "gambling-merchant-large",
        action(mcc="7995", amount=100_000),
        action(mcc="7995", amount=99_999),
    ),
    Case("crypto-merchant-category", action(mcc="6051"), action(mcc="5411")),
]


def test_every_shipped_rule_has_a_case() -> None:
    assert sorted(rule.id for rule in load_rules(SHIPPED_RULES).rules) == sorted(case.rule for case in CASES)


def test_the_base_assessment_matches_no_rule(engine: RiskEngine) -> None:
    decision = engine.decide(base_assessment())
    assert decision.reasons == ()
    assert decision.shadow == ()
    assert decision.outcome is Outcome.ALLOW


def test_a_device_that_did_not_prove_itself_is_said_and_decides_nothing_by_itself(engine: RiskEngine) -> None:
    claimed = replace(base_assessment(), device_verified=False)
    decision = engine.decide(claimed)
    assert [reason.rule for reason in decision.reasons] == ["device-unverified"]
    assert (decision.outcome, decision.score) == (Outcome.ALLOW, 0)
    assert engine.decide(replace(claimed, device_id=None)).reasons == (), "no device, nothing to say"


@pytest.mark.parametrize("case", CASES, ids=[case.rule for case in CASES])
def test_rule(engine: RiskEngine, case: Case) -> None:
    rule = next(rule for rule in load_rules(SHIPPED_RULES).rules if rule.id == case.rule)
    run_history(engine, case.history)
    hit = engine.decide(case.hit)
    matched = hit.shadow if rule.shadow else hit.reasons
    assert rule.reason in matched
    if not rule.shadow:
        assert hit.outcome >= rule.reason.outcome
        assert hit.score >= rule.reason.score
    if rule.reason.outcome is Outcome.STEP_UP and hit.outcome is Outcome.STEP_UP:
        assert set(rule.factors) <= set(hit.factors)
    miss = engine.decide(case.miss)
    assert rule.id not in {reason.rule for reason in miss.reasons + miss.shadow}
