"""The derivative step-up through its interface: the risk engine on the shipped rules (or an edited copy)
asked for a change over the threshold; a challenge refused until confirmed, then spent once by exactly its
order; `allow` lets the order through, `deny` refuses it; SQLite and PostgreSQL."""

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import Engine

from risk.engine import RiskEngine
from risk.pretrade.errors import PretradeRefused, StepUpRequired
from risk.pretrade.stepup import CHALLENGE_SECONDS, DerivativeChange, ThresholdStepUp, confirm, engine_assess
from tests.risk.engine.conftest import SHIPPED_RULES
from tests.risk.engine.test_properties import fresh_engine

T0 = 1_800_000_000
CHANGE = DerivativeChange(
    account=42,
    market="TPW-PERP",
    direction=1,
    lots=10,
    price=5_000,
    notional_before=0,
    notional_after=50_001,
    threshold=50_000,
)


def step_up(database: Engine, risk: RiskEngine) -> ThresholdStepUp:
    return ThresholdStepUp(database, engine_assess(database, risk, lambda market: "QTU", actor="test"))


def challenge(
    gate: ThresholdStepUp, change: DerivativeChange, confirmation: str | None = None
) -> StepUpRequired:
    with pytest.raises(StepUpRequired) as raised:
        gate.require(change, confirmation, T0)
    return raised.value


def test_at_the_threshold_or_when_not_raising_nothing_is_asked(engine: Engine) -> None:
    gate = step_up(engine, fresh_engine(SHIPPED_RULES))
    gate.require(dataclasses.replace(CHANGE, notional_after=50_000), None, T0)
    gate.require(dataclasses.replace(CHANGE, notional_before=60_000, notional_after=55_000), None, T0)


def test_a_confirmed_challenge_lets_exactly_its_order_through_once(engine: Engine) -> None:
    gate = step_up(engine, fresh_engine(SHIPPED_RULES))
    asked = challenge(gate, CHANGE)
    assert asked.factors == ("passkey", "totp")
    assert (asked.limit, asked.value) == (50_000, 50_001)
    # unconfirmed: asked again, with a new challenge
    assert challenge(gate, CHANGE, asked.challenge).challenge != asked.challenge
    assert not confirm(engine, asked.challenge, account=43, now=T0)  # another account's
    assert confirm(engine, asked.challenge, account=42, now=T0)
    assert not confirm(engine, asked.challenge, account=42, now=T0)  # confirmed already
    other_order = dataclasses.replace(CHANGE, lots=11, notional_after=55_000)
    challenge(gate, other_order, asked.challenge)  # not this order's challenge
    gate.require(CHANGE, asked.challenge, T0)  # spent now
    challenge(gate, CHANGE, asked.challenge)  # and only once


def test_a_challenge_expires(engine: Engine) -> None:
    gate = step_up(engine, fresh_engine(SHIPPED_RULES))
    asked = challenge(gate, CHANGE)
    assert not confirm(engine, asked.challenge, account=42, now=T0 + CHALLENGE_SECONDS)
    late = challenge(gate, CHANGE)
    assert confirm(engine, late.challenge, account=42, now=T0)
    with pytest.raises(StepUpRequired):
        gate.require(CHANGE, late.challenge, T0 + CHALLENGE_SECONDS)


def edited(tmp_path: Path, outcome: str) -> RiskEngine:
    rules = SHIPPED_RULES.read_text()
    marker = "      kind: derivative_order\n    outcome: step_up\n    factors: [passkey, totp]\n"
    assert marker in rules
    path = tmp_path / "rules.yaml"
    path.write_text(rules.replace(marker, f"      kind: derivative_order\n    outcome: {outcome}\n"))
    return fresh_engine(path)


def test_the_engines_allow_lets_it_through_and_its_deny_refuses_it(engine: Engine, tmp_path: Path) -> None:
    step_up(engine, edited(tmp_path, "allow")).require(CHANGE, None, T0)
    with pytest.raises(PretradeRefused) as raised:
        step_up(engine, edited(tmp_path, "deny")).require(CHANGE, None, T0)
    assert (raised.value.code, raised.value.field, raised.value.value) == ("risk-denied", "qty", 50_001)
    assert str(raised.value.extra["decision"]).startswith("rd_")
