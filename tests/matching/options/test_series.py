"""Series: ids, units, intrinsic value in ledger units, and the series file's refusals."""

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from matching.options.marks import owed_units, paid_units, to_ticks
from matching.options.pricing import Right
from matching.options.series import OptionSeries, SeriesError, parse_series
from matching.options_market.config import load_series

EXPIRY = 1_800_000_000 * 1_000_000


def test_the_shipped_series_load() -> None:
    assert "TPW-20270326-2.5-C" in [series.id for series in load_series()]


def test_a_series_is_a_market_of_one_contract_lots_and_cent_ticks() -> None:
    series = OptionSeries(250, EXPIRY, Right.PUT)
    spec = series.spec()
    assert series.id == "TPW-20270115-2.5-P"
    assert (spec.id, spec.notional(3, 12)) == (series.id, 3 * 12 * 10_000)
    assert spec.price_ticks("0.12") == 12
    assert series.strike == Decimal("2.50")


@pytest.mark.parametrize(
    ("right", "settle", "paid"),
    [
        (Right.CALL, Fraction(3_000_000), 500_000),
        (Right.CALL, Fraction(2_000_000), 0),
        (Right.PUT, Fraction(2_000_000), 500_000),
        (Right.PUT, Fraction(7_500_001, 3), 0),
        (Right.CALL, Fraction(7_500_001, 3), 0),  # 1/3 of a unit in the money: floors to nothing
        (Right.CALL, Fraction(7_500_005, 3), 1),
    ],
)
def test_intrinsic_value_in_ledger_units_rounds_down(right: Right, settle: Fraction, paid: int) -> None:
    assert OptionSeries(250, EXPIRY, right).intrinsic_units(settle) == paid


def test_marks_round_to_the_nearest_tick_halves_up_and_money_by_who_owes() -> None:
    tick = Decimal("0.01")
    assert [to_ticks(Decimal(v), tick) for v in ("0.004", "0.005", "0.0149", "1.235")] == [0, 1, 1, 124]
    assert (owed_units(Decimal("10.01")), paid_units(Decimal("10.99"))) == (11, 10)


@pytest.mark.parametrize(
    ("entry", "where"),
    [
        ({"expiry": "2027-01-01", "strike": "2", "right": "call"}, "series[0].expiry"),
        ({"expiry": "2027-01-01T00:00:00Z", "strike": 2.5, "right": "call"}, "series[0].strike"),
        ({"expiry": "2027-01-01T00:00:00Z", "strike": "2.505", "right": "call"}, "series[0].strike"),
        ({"expiry": "2027-01-01T00:00:00Z", "strike": "2.5", "right": "straddle"}, "series[0].right"),
        ({"expiry": "2027-01-01T00:00:00Z", "strike": "2.5"}, "series[0]"),
    ],
)
def test_refusals_name_the_file_and_entry(entry: dict[str, Any], where: str) -> None:
    with pytest.raises(SeriesError) as refused:
        parse_series({"series": [entry]}, "series.yaml")
    assert str(refused.value).startswith(f"series.yaml: {where}")


def test_a_series_listed_twice_is_refused() -> None:
    entry = {"expiry": "2027-01-01T00:00:00Z", "strike": "2.5", "right": "call"}
    with pytest.raises(SeriesError, match=r"series\[1\]"):
        parse_series({"series": [entry, entry]}, "series.yaml")
