"""The scenario scan: shorts need margin, longs none, spreads less than naked shorts, a floor far OTM."""

import math
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.options.margin import ScanParams, requirement, scenarios
from matching.options.pricing import Right, price
from matching.options.quote import model_inputs
from matching.options.series import OptionSeries
from matching.options_market.config import load_surface

D = Decimal
NOW = 1_790_000_000 * 1_000_000
EXPIRY = NOW + 30 * 86_400 * 1_000_000
SURFACE = load_surface()
PARAMS = ScanParams()
CALL = OptionSeries(250, EXPIRY, Right.CALL)
HIGHER_CALL = OptionSeries(300, EXPIRY, Right.CALL)
FAR_PUT = OptionSeries(50, EXPIRY, Right.PUT)


def test_the_scan_has_every_price_and_volatility_case() -> None:
    cases = scenarios(PARAMS)
    assert len(cases) == 21
    assert (D("-0.15"), D("0.25")) in cases
    assert (D("0.15"), D("-0.25")) in cases


def test_a_long_needs_nothing_and_a_short_its_worst_case() -> None:
    assert requirement({CALL: 5}, D("2.4"), NOW, SURFACE, PARAMS).requirement == 0
    short = requirement({CALL: -5}, D("2.4"), NOW, SURFACE, PARAMS)
    worst = price(model_inputs(CALL, D("2.4") * D("1.15"), NOW, SURFACE, PARAMS.rate, D("0.25")))
    assert (short.worst_price_move, short.worst_vol_move) == (D("0.15"), D("0.25"))
    assert short.requirement == math.ceil(5 * worst * 1_000_000)  # rounded up
    assert short.requirement > 5 * price(model_inputs(CALL, D("2.4"), NOW, SURFACE, PARAMS.rate)) * 1_000_000


def test_a_covered_spread_needs_less_than_the_naked_short() -> None:
    naked = requirement({CALL: -5}, D("2.4"), NOW, SURFACE, PARAMS).requirement
    spread = requirement({CALL: -5, HIGHER_CALL: 5}, D("2.4"), NOW, SURFACE, PARAMS).requirement
    assert 0 < spread < naked
    assert spread <= 5 * (300 - 250) * 10_000  # never more than the spread's widest payoff


def test_a_far_out_of_the_money_short_is_held_to_the_minimum() -> None:
    margin = requirement({FAR_PUT: -10}, D("2.4"), NOW, SURFACE, PARAMS)
    assert margin.worst_liability < margin.short_minimum == margin.requirement == 10 * 120_000


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=50), st.integers(min_value=1, max_value=50))
def test_more_short_lots_never_need_less(lots: int, more: int) -> None:
    smaller = requirement({CALL: -lots}, D("2.4"), NOW, SURFACE, PARAMS).requirement
    assert requirement({CALL: -(lots + more)}, D("2.4"), NOW, SURFACE, PARAMS).requirement >= smaller
