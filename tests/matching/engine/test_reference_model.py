"""The engine against the slow reference model: the same events (so the same trades) and the same book.

Hypothesis draws the flows' seeds and lengths (the `ci` profile: a few dozen; `HYPOTHESIS_PROFILE=deep`
for a thousand); a fixed sweep of seeded flows runs beside it so every run covers the same few thousand
commands too.
"""

from __future__ import annotations

from hypothesis import given

from matching.engine import Command, Engine, Place, Trade
from tests.matching.flows import engine_view, flows, random_flow
from tests.matching.reference import ReferenceBook


def check_same(flow: list[Command]) -> None:
    engine = Engine()
    reference = ReferenceBook()
    for step, cmd in enumerate(flow):
        got = engine.process(cmd)
        want = reference.process(cmd)
        assert got == want, f"step {step}: {cmd}"
        assert engine_view(engine) == reference.snapshot(), f"book after step {step}: {cmd}"
        positions = {a: p for a, p in engine.positions.items() if p}
        assert positions == {a: p for a, p in reference.positions.items() if p}


@given(flows)
def test_random_flows_match_the_reference_model(flow: list[Command]) -> None:
    check_same(flow)


def test_seeded_flows_match_the_reference_model() -> None:
    for seed in range(60):
        check_same(random_flow(seed, 200))


def test_the_flows_exercise_the_book() -> None:
    """Guard the generator: a flow that never trades would prove nothing."""
    engine = Engine()
    trades = 0
    places = 0
    for cmd in random_flow(7, 2000):
        trades += sum(isinstance(e, Trade) for e in engine.process(cmd))
        places += isinstance(cmd, Place)
    assert trades > 200
    assert places > 1000
