"""Each check alone, on figures handed to it: the thresholds' edges, and what does not fire."""

from risk.monitoring import checks
from risk.monitoring.checks import Check, Sighting
from risk.monitoring.config import Drain, Frequency, Geography, Rate, Structuring

WEEK = 604_800
FREQUENCY = Frequency(window=600, factor=5, min_count=10)
RATE = Rate(window=3_600, factor=5, min_amount={"EUR": 500_000})
STRUCTURING = Structuring(window=86_400, margin_percent=10, min_count=3)
DRAIN = Drain(window=3_600, percent=80, min_amount={"EUR": 100_000})
GEOGRAPHY = Geography(
    max_speed_kmh=1_000,
    country_change_seconds=3_600,
    points={"DE": (51.2, 10.4), "FR": (46.6, 2.2), "AU": (-25.3, 133.8)},
)


def test_frequency_needs_the_minimum_count_without_history() -> None:
    assert checks.frequency(FREQUENCY, WEEK, 9, 0) is None
    finding = checks.frequency(FREQUENCY, WEEK, 10, 0)
    assert finding is not None
    assert finding.check is Check.FREQUENCY
    assert finding.details == {"count": 10, "baseline_count": 0, "window_seconds": 600}


def test_frequency_is_measured_against_the_accounts_own_baseline() -> None:
    # 1,008 transfers a week is 1 per 600 s window on average: 5 is the factor's edge, 6 is over it
    assert checks.frequency(FREQUENCY, WEEK, 10, 2_016) is None  # 10 vs 2 per window * 5 = 10: not over
    assert checks.frequency(FREQUENCY, WEEK, 11, 2_016) is not None


def test_rate_compares_amounts_per_window_and_ignores_unpriced_currencies() -> None:
    assert checks.rate(RATE, WEEK, "EUR", 499_999, 0) is None
    assert checks.rate(RATE, WEEK, "EUR", 500_000, 0) is not None
    # a week of 168 windows averaging 1,000,000: 5,000,000 is the edge
    assert checks.rate(RATE, WEEK, "EUR", 5_000_000, 168_000_000) is None
    finding = checks.rate(RATE, WEEK, "EUR", 5_000_001, 168_000_000)
    assert finding is not None
    assert finding.details["amount"] == "5000001"
    assert checks.rate(RATE, WEEK, "GBP", 10**12, 0) is None


def test_structuring_counts_amounts_just_under_the_limit() -> None:
    limit = 100_000
    assert checks.structuring(STRUCTURING, "EUR", limit, [99_000, 95_000, 89_999, 100_001]) is None
    finding = checks.structuring(STRUCTURING, "EUR", limit, [99_000, 95_000, 90_000, 20_000])
    assert finding is not None
    assert finding.details["count"] == 3
    assert checks.structuring(STRUCTURING, "EUR", 0, [0, 0, 0]) is None  # a tier allowing nothing


def test_drain_is_a_share_of_what_the_account_held_before_the_window() -> None:
    # held 1,000,000; 800,000 left: 80 % exactly
    finding = checks.drain(DRAIN, "EUR", 200_000, 800_000, 0)
    assert finding is not None
    assert finding.details["held_before"] == "1000000"
    assert checks.drain(DRAIN, "EUR", 200_001, 799_999, 0) is None
    # money that came in within the window was not held before it
    assert checks.drain(DRAIN, "EUR", 0, 150_000, 150_000) is None
    assert checks.drain(DRAIN, "EUR", 0, 99_999, 0) is None  # under the minimum


def test_geography_impossible_travel_and_country_change() -> None:
    start = Sighting("DE", 1_000)
    assert checks.geography(GEOGRAPHY, None, start) is None
    assert checks.geography(GEOGRAPHY, start, Sighting("DE", 1_001)) is None
    # Germany to France's reference points: about 787 km (4.6° of latitude, 8.2° of longitude at
    # 49° N: 511 and 599 km), possible in an hour, not in ten minutes
    assert checks.geography(GEOGRAPHY, start, Sighting("FR", 1_000 + 3_600)) is None
    finding = checks.geography(GEOGRAPHY, start, Sighting("FR", 1_000 + 600))
    assert finding is not None
    assert finding.details["km"] == 787
    assert checks.geography(GEOGRAPHY, start, Sighting("AU", 1_000 + 8 * 3_600)) is not None
    # a country without a reference point: any change within country_change_seconds
    assert checks.geography(GEOGRAPHY, start, Sighting("NG", 1_000 + 3_600)) is not None
    assert checks.geography(GEOGRAPHY, start, Sighting("NG", 1_000 + 3_601)) is None


def test_distance_is_symmetric_and_zero_on_the_spot() -> None:
    assert checks.distance_km((51.2, 10.4), (51.2, 10.4)) == 0
    there = checks.distance_km((51.2, 10.4), (-25.3, 133.8))
    assert there == checks.distance_km((-25.3, 133.8), (51.2, 10.4))
    assert 14_000 < there < 15_000
