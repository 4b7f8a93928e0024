"""TWAP and VWAP schedules: slices sum to the parent exactly, fall inside the window, follow the weights."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.routing.slicing import apportion, twap, vwap


@given(st.integers(1, 10**6), st.integers(1, 50), st.integers(1, 10**9))
def test_twap_slices_sum_to_the_order_and_differ_by_at_most_one(lots: int, slices: int, span: int):
    start = 1_000
    schedule = twap(lots, start, start + span, slices)
    assert sum(piece.lots for piece in schedule) == lots
    assert max(p.lots for p in schedule) - min(p.lots for p in schedule) <= 1
    assert all(start <= piece.due < start + span or span < slices for piece in schedule)
    assert [piece.index for piece in schedule] == list(range(len(schedule)))
    assert [p.due for p in schedule] == sorted(p.due for p in schedule)


@given(st.integers(1, 10**6), st.lists(st.integers(0, 1_000), min_size=1, max_size=30))
def test_vwap_follows_the_profile(lots: int, profile: list[int]):
    schedule = vwap(lots, 0, 3_600_000_000, profile)
    assert sum(piece.lots for piece in schedule) == lots
    if sum(profile):
        whole = sum(profile)
        step = 3_600_000_000 // len(profile)
        for piece in schedule:
            weight = profile[piece.due // step]
            assert weight > 0
            assert abs(piece.lots * whole - lots * weight) < whole  # within one lot of its exact share


def test_apportion_is_exact_and_gives_remainders_to_the_largest_fractions_first():
    assert apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert apportion(7, [0, 5, 2]) == [0, 5, 2]
    assert apportion(5, [1, 3]) == [1, 4]
    with pytest.raises(ValueError, match="weights"):
        apportion(3, [0, 0])
    with pytest.raises(ValueError, match="lots must be positive"):
        twap(0, 0, 10, 2)
    with pytest.raises(ValueError, match="window"):
        vwap(5, 10, 10, [1])
