"""Premium, the clamped rate, and payments that sum to zero exactly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from matching.perpetuals.funding import FundingClock, funding_payments, funding_rate, premium_ppm

from .helpers import SPEC


def test_premium_rounds_towards_zero() -> None:
    assert premium_ppm(1_001, 1_000) == 1_000
    assert premium_ppm(1_000, 3) == 332_333_333
    assert premium_ppm(1, 3) == -666_666


def test_small_premium_funds_at_the_interest_rate() -> None:
    assert funding_rate(0, SPEC) == 100
    assert funding_rate(400, SPEC) == 100  # interest − premium = −300, inside the ±500 clamp
    assert funding_rate(-300, SPEC) == 100


def test_large_premium_passes_through_and_is_capped() -> None:
    assert funding_rate(2_000, SPEC) == 1_500  # 2000 + clamp(100 − 2000) = 2000 − 500
    assert funding_rate(-2_000, SPEC) == -1_500
    assert funding_rate(50_000, SPEC) == 7_500
    assert funding_rate(-50_000, SPEC) == -7_500


def test_longs_pay_shorts_with_the_largest_remainder_rule() -> None:
    # 10 lots at 1000, rate 0.0333 %: 10000 × 333 / 1e6 = 3.33 → the long pays 3
    paid = funding_payments({1: 10, 2: -3, 3: -3, 4: -4}, 1_000, 333, SPEC)
    assert paid[1] == -3
    assert sum(paid.values()) == 0
    # shares 3×3/10 = 0.9, 0.9, 1.2 → floors 0, 0, 1; two units left to the largest remainders (0.9, 0.9)
    assert (paid[2], paid[3], paid[4]) == (1, 1, 1)


def test_negative_rate_shorts_pay() -> None:
    paid = funding_payments({1: 5, 2: -5}, 1_000, -1_000, SPEC)
    assert paid == {2: -5, 1: 5}


def test_clock_settles_once_per_interval_on_the_average_premium() -> None:
    clock = FundingClock(next_ts=100)
    clock.sample(1_010, 1_000)  # 10_000 ppm
    clock.sample(1_000, 1_000)  # 0
    assert clock.settle(99, SPEC) is None
    assert clock.settle(100, SPEC) == 4_500  # average 5000, minus the clamped 500
    assert clock.next_ts == 100 + SPEC.funding_interval
    assert clock.settle(101, SPEC) is None


@given(
    st.lists(st.integers(-1_000, 1_000), min_size=1, max_size=12),
    st.integers(1, 100_000),
    st.integers(-7_500, 7_500),
)
def test_funding_sums_to_zero(sizes: list[int], mark: int, rate: int) -> None:
    book = {i + 1: s for i, s in enumerate(sizes)}
    book[len(sizes) + 1] = -sum(sizes)  # every long has a short
    paid = funding_payments(book, mark, rate, SPEC)
    assert sum(paid.values()) == 0
    for account, amount in paid.items():
        payer = (book[account] > 0) == (rate > 0)
        assert (amount < 0) == payer
        if payer:
            assert -amount <= abs(book[account]) * mark * abs(rate) // 1_000_000
