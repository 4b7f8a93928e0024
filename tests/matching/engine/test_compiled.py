"""The mypyc build of the engine (`make install`, `.mypyc/`) behaves exactly as the pure-Python one.

The compiled copy is loaded in a child process (both cannot share one: they are the same package), fed
the same seeded flows, and must print the same events and state hashes. Skipped when there is no build
or it is stale (`benchmarks/matching.py --compiled` refuses those too).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from matching.engine import Engine, Event, state_hash
from tests.matching.flows import random_flow

ROOT = Path(__file__).resolve().parents[3]
COMPILED = ROOT / ".mypyc"
SEEDS = range(20)

CHILD = """
import hashlib, sys
sys.path[:0] = [{compiled!r}, {root!r}]
import matching.engine.matcher as m
assert m.__file__.endswith(".so"), m.__file__
from matching.engine import Engine, Event, state_hash
from tests.matching.engine.test_compiled import plain
from tests.matching.flows import random_flow
for seed in {seeds!r}:
    engine = Engine()
    events = [plain(engine.process(cmd)) for cmd in random_flow(seed, 300)]
    print(hashlib.sha256("\\n".join(events).encode()).hexdigest(), state_hash(engine))
"""


def plain(events: list[Event]) -> str:
    """Events as text with every field an int: an enum value is a plain int in compiled `Order` fields."""
    return repr([(type(e).__name__, *map(int, e)) for e in events])


def build_is_fresh() -> bool:
    status = COMPILED / "status"
    if not status.exists() or status.read_text().strip() != "ok":
        return False
    sources = sorted((ROOT / "matching").rglob("*.py"))
    return all((COMPILED / s.relative_to(ROOT)).read_bytes() == s.read_bytes() for s in sources)


@pytest.mark.skipif(not build_is_fresh(), reason="no fresh mypyc build of the engine (make install)")
def test_the_compiled_engine_gives_the_same_events_and_state() -> None:
    script = CHILD.format(compiled=str(COMPILED), root=str(ROOT), seeds=list(SEEDS))
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    expected = []
    for seed in SEEDS:
        engine = Engine()
        events = [plain(engine.process(cmd)) for cmd in random_flow(seed, 300)]
        expected.append(f"{hashlib.sha256(chr(10).join(events).encode()).hexdigest()} {state_hash(engine)}")
    assert out.stdout.split("\n")[:-1] == expected
