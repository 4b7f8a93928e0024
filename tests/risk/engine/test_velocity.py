"""Sliding windows: counts over all currencies, sums per currency, eviction as time passes, bounded memory."""

from hypothesis import given
from hypothesis import strategies as st

from risk.engine.velocity import Dimension, Figure, VelocityWindows

HOUR = 3600
CUSTOMER_COUNT = Figure(Dimension.CUSTOMER, HOUR, False)
CUSTOMER_SUM = Figure(Dimension.CUSTOMER, HOUR, True)


def windows(max_keys: int = 1000) -> VelocityWindows:
    return VelocityWindows(
        [CUSTOMER_COUNT, CUSTOMER_SUM, Figure(Dimension.CARD, 600, False)], max_keys=max_keys
    )


def test_counts_span_currencies_and_sums_do_not() -> None:
    held = windows()
    held.add(Dimension.CUSTOMER, "idn_a", "EUR", 1_000, 100)
    held.add(Dimension.CUSTOMER, "idn_a", "USD", 2_000, 110)
    held.add(Dimension.CUSTOMER, "idn_a", "EUR", 500, 120)
    assert held.count(Dimension.CUSTOMER, "idn_a", HOUR, 130) == 3
    assert held.total(Dimension.CUSTOMER, "idn_a", "EUR", HOUR, 130) == 1_500
    assert held.total(Dimension.CUSTOMER, "idn_a", "USD", HOUR, 130) == 2_000
    assert held.count(Dimension.CUSTOMER, "idn_b", HOUR, 130) == 0


def test_actions_leave_the_window_as_time_passes() -> None:
    held = windows()
    held.add(Dimension.CUSTOMER, "idn_a", "EUR", 1_000, 0)
    held.add(Dimension.CUSTOMER, "idn_a", "EUR", 2_000, 1_800)
    assert held.count(Dimension.CUSTOMER, "idn_a", HOUR, HOUR) == 2
    # the first one's 60-second bucket [0, 60) is wholly older than now - 1 h only once now >= 1 h + 60 s
    assert held.count(Dimension.CUSTOMER, "idn_a", HOUR, HOUR + 59) == 2
    assert held.count(Dimension.CUSTOMER, "idn_a", HOUR, HOUR + 60) == 1
    assert held.total(Dimension.CUSTOMER, "idn_a", "EUR", HOUR, HOUR + 60) == 2_000
    assert held.count(Dimension.CUSTOMER, "idn_a", HOUR, 1_800 + HOUR + 60) == 0
    assert held.total(Dimension.CUSTOMER, "idn_a", "EUR", HOUR, 1_800 + HOUR + 60) == 0


def test_zero_amounts_count_but_never_enter_a_sum() -> None:
    held = windows()
    held.add(Dimension.CUSTOMER, "idn_a", "EUR", 0, 0)
    held.add(Dimension.CUSTOMER, "idn_a", "EUR", 700, 200)
    held.add(Dimension.CUSTOMER, "idn_a", "EUR", 0, 300)
    assert held.count(Dimension.CUSTOMER, "idn_a", HOUR, 400) == 3
    assert held.total(Dimension.CUSTOMER, "idn_a", "EUR", HOUR, 2 * HOUR) == 0


def test_idle_keys_are_swept() -> None:
    held = windows()
    for number in range(10):
        held.add(Dimension.CUSTOMER, f"idn_{number}", "EUR", 100, number)
    held.add(Dimension.CARD, "card_1", "EUR", 100, 10)
    assert len(held) == 10 + 10 + 1  # counts and sums are kept apart
    held.sweep(700)  # the card's 10-minute window (and its 10-second bucket) is behind
    assert len(held) == 20
    held.add(Dimension.CUSTOMER, "idn_9", "EUR", 100, 2 * HOUR)
    held.sweep(2 * HOUR)
    assert len(held) == 2
    assert held.count(Dimension.CUSTOMER, "idn_9", HOUR, 2 * HOUR) == 1


def test_past_max_keys_the_least_recently_updated_key_goes() -> None:
    held = VelocityWindows([CUSTOMER_COUNT], max_keys=3)
    for number, key in enumerate(["a", "b", "c", "a", "d"]):
        held.add(Dimension.CUSTOMER, key, "EUR", 1, number)
    assert len(held) == 3
    assert held.count(Dimension.CUSTOMER, "b", HOUR, 5) == 0  # gone: the least recently updated
    assert held.count(Dimension.CUSTOMER, "a", HOUR, 5) == 2


@given(
    times=st.lists(st.integers(min_value=0, max_value=4 * HOUR), min_size=1, max_size=60),
    now_after=st.integers(min_value=0, max_value=2 * HOUR),
)
def test_a_count_is_exact_up_to_one_bucket_and_never_low(times: list[int], now_after: int) -> None:
    """Against the plain definition: every action in (now - 1 h, now] is counted, and none older than
    the window plus one bucket (60 s) is."""
    times.sort()
    held = windows()
    for at in times:
        held.add(Dimension.CUSTOMER, "idn_a", "EUR", 1, at)
    now = times[-1] + now_after
    counted = held.count(Dimension.CUSTOMER, "idn_a", HOUR, now)
    assert sum(1 for at in times if at > now - HOUR) <= counted
    assert counted <= sum(1 for at in times if at >= now - HOUR - 60)


def test_a_sum_saturates_at_the_int64_bound() -> None:
    held = windows()
    for second in range(3):
        held.add(Dimension.CUSTOMER, "idn_a", "EUR", 2**62, second)
    assert held.total(Dimension.CUSTOMER, "idn_a", "EUR", HOUR, 3) == 2**63 - 1
    assert held.count(Dimension.CUSTOMER, "idn_a", HOUR, 3) == 3
    assert held.total(Dimension.CUSTOMER, "idn_a", "EUR", HOUR, 2 * HOUR) == 0  # evicted back to zero
