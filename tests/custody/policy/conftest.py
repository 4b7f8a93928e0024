"""Fixtures for the policy tests: a settable clock, a fresh spend history, an engine over the test policy."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from custody.policy.engine import PolicyEngine
from custody.policy.history import SpendHistory
from tests.helpers.policy import Clock, make_policy


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def history(tmp_path: Path) -> Iterator[SpendHistory]:
    with SpendHistory.open(tmp_path / "state.sqlite") as opened:
        yield opened


@pytest.fixture
def engine(history: SpendHistory, clock: Clock) -> PolicyEngine:
    return PolicyEngine(make_policy(), history, clock)
