"""A restart keeps its velocity: a fresh engine rebuilt from the stored decisions reads the same customer and
device figures as the engine that recorded them, and a velocity rule still fires."""

from dataclasses import replace

from sqlalchemy import Engine

from risk.decisions import rebuild_windows, record_decision
from risk.engine import Assessment, CidrTable, Outcome, RiskEngine, RuleSource
from risk.engine.velocity import Dimension
from tests.risk.engine.conftest import SHIPPED_COUNTRIES, SHIPPED_RULES, T0, Clock, base_assessment


def _risk_engine(clock: Clock) -> RiskEngine:
    return RiskEngine(RuleSource(SHIPPED_RULES, clock), CidrTable.from_csv(SHIPPED_COUNTRIES))


def _go_ahead(database: Engine, risk: RiskEngine, history: list[Assessment]) -> None:
    """Decide, store and record each action as the payment guard does (a denied one is stored only)."""
    for action in history:
        decision = risk.decide(action)
        with database.begin() as connection:
            record_decision(connection, action, decision, now=action.at, actor="risk-engine")
        if decision.outcome is not Outcome.DENY:
            risk.record(action, decision)


def _figures(risk: RiskEngine, keys: dict[Dimension, list[str]], now: int) -> list[tuple[object, ...]]:
    windows = risk.windows
    read: list[tuple[object, ...]] = []
    for figure in sorted(windows.figures):
        for key in keys.get(figure.dimension, []):
            if figure.amounts:
                for currency in ("EUR", "USD"):
                    value = windows.total(figure.dimension, key, currency, figure.span, now)
                    read.append((figure, key, currency, value))
            else:
                read.append((figure, key, windows.count(figure.dimension, key, figure.span, now)))
    return read


def test_a_rebuilt_engine_reads_the_same_velocity_figures(engine: Engine) -> None:
    clock = Clock()
    original = _risk_engine(clock)
    base = base_assessment()
    history = [
        replace(
            base,
            subject=("idn_a", "idn_b")[n % 2],
            device_id=("dev_a", "dev_b", None)[n % 3],
            currency=("EUR", "USD")[n % 2 if n < 6 else 0],
            amount=500 + 37 * n,
            at=T0 + 90 * n,
        )
        for n in range(12)
    ]
    history.append(replace(base, amount=1, at=T0 - 60 * 86_400))  # outside every window: not replayed
    history.sort(key=lambda action: action.at)
    _go_ahead(engine, original, history)
    now = T0 + 90 * 12
    clock.now = now
    rebuilt = _risk_engine(clock)
    with engine.connect() as connection:
        replayed = rebuild_windows(connection, rebuilt, now=now)
    assert replayed == 12
    keys = {Dimension.CUSTOMER: ["idn_a", "idn_b"], Dimension.DEVICE: ["dev_a", "dev_b"]}
    assert _figures(rebuilt, keys, now) == _figures(original, keys, now)
    assert any(value for *_, value in _figures(rebuilt, keys, now))


def test_a_velocity_rule_still_fires_after_a_restart(engine: Engine) -> None:
    clock = Clock()
    before = _risk_engine(clock)
    burst = [replace(base_assessment(), at=T0 + 10 * n) for n in range(5)]
    _go_ahead(engine, before, burst)
    clock.now = T0 + 60
    after = _risk_engine(clock)
    next_one = replace(base_assessment(), at=clock.now)
    assert "customer-burst" not in [reason.rule for reason in after.decide(next_one).reasons]
    with engine.connect() as connection:
        rebuild_windows(connection, after, now=clock.now)
    decision = after.decide(next_one)
    assert "customer-burst" in [reason.rule for reason in decision.reasons]
    assert decision.outcome >= Outcome.STEP_UP


def test_operator_evaluations_and_denials_are_not_replayed(engine: Engine) -> None:
    clock = Clock()
    risk = _risk_engine(clock)
    action = base_assessment()
    decision = risk.decide(action)
    with engine.begin() as connection:
        record_decision(connection, action, decision, now=T0, actor="operator", enforced=False)
        record_decision(
            connection, action, replace(decision, outcome=Outcome.DENY), now=T0, actor="risk-engine"
        )
    with engine.connect() as connection:
        assert rebuild_windows(connection, _risk_engine(clock), now=T0) == 0
