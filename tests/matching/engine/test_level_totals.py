"""Each level's `total` is the sum of its orders' open lots (hidden ones included) after every command:
the market data stream reads it as a level's size (`matching.spot.feed`), so it must never drift, through
fills that empty a maker, iceberg refreshes, amends, STP decrements and expiries."""

from hypothesis import given
from hypothesis import strategies as st

from matching.engine import Engine
from tests.matching.flows import random_flow


@given(st.integers(0, 2**32 - 1))
def test_level_totals_are_the_open_lots(seed: int) -> None:
    engine = Engine()
    for cmd in random_flow(seed, 300):
        engine.process(cmd)
        for side in (0, 1):
            for level in engine.book.side_levels(side):
                assert level.total == sum(order.leaves for order in level.orders())
