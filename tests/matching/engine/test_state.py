"""The state (snapshot form) is complete: a book restored from it answers every later command the same.

If the state left anything out (a stop's arrival order, an iceberg's shown lots, the next time priority,
a GTD expiry), a restored book would part from the original at some later command; here both are fed
the rest of the flow from many cut points and must emit the same events and end with the same hash.
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from matching.engine import Engine, Kind, Place, Side, engine_state, restore, state_hash
from tests.matching.flows import random_flow


@given(st.integers(0, 2**32 - 1), st.integers(0, 200))
def test_a_restored_book_goes_on_exactly_as_the_original(seed: int, cut: int) -> None:
    flow = random_flow(seed, 300)
    original = Engine()
    for cmd in flow[:cut]:
        original.process(cmd)
    restored = restore(json.loads(json.dumps(engine_state(original))))  # through its JSON form
    assert state_hash(restored) == state_hash(original)
    for cmd in flow[cut:]:
        assert restored.process(cmd) == original.process(cmd)
    assert state_hash(restored) == state_hash(original)


def test_the_hash_sees_priority_and_hidden_lots() -> None:
    """Two books with the same orders in a different time order, or a different iceberg peak, differ."""

    def book(*places: Place) -> str:
        engine = Engine()
        for place in places:
            engine.process(place)
        return state_hash(engine)

    a = Place(1, 1, 1, Side.SELL, Kind.LIMIT, 5, price=100)
    b = Place(1, 2, 2, Side.SELL, Kind.LIMIT, 5, price=100)
    assert book(a, b) != book(b, a)
    assert book(a._replace(peak=2)) != book(a._replace(peak=3))
