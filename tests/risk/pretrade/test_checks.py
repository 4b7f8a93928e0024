"""The pre-trade checks on integers: each limit hit, and just not hit; the band and protection price's
rounding; open orders counted on each side; the cool-down refusing only what opens or increases."""

import pytest

from risk.pretrade.checks import (
    BUY,
    SELL,
    Exposure,
    OrderFacts,
    band,
    check_band,
    check_cooldown,
    check_position,
    check_size,
    protection_price,
)
from risk.pretrade.errors import PretradeRefused
from risk.pretrade.limits import MarketLimits

LIMITS = MarketLimits(
    max_position_lots=100,
    max_order_lots=10,
    max_order_notional=50_000,
    price_band_bps=1_000,
    market_protection_bps=500,
    cooldown_seconds=60,
)


def order(direction: int = BUY, lots: int = 1, price: int = 1_000, notional: int | None = None) -> OrderFacts:
    return OrderFacts(direction, lots, price, lots * price if notional is None else notional)


def refusal(call: object, *args: object) -> PretradeRefused:
    with pytest.raises(PretradeRefused) as raised:
        call(*args)  # type: ignore[operator]
    return raised.value


def test_order_lots_at_the_maximum_pass_and_one_more_is_refused() -> None:
    check_size(LIMITS, order(lots=10, notional=10))
    refused = refusal(check_size, LIMITS, order(lots=11, notional=11))
    assert (refused.code, refused.field, refused.limit, refused.value, refused.unit) == (
        "order-size",
        "qty",
        10,
        11,
        "lots",
    )


def test_order_notional_at_the_maximum_passes_and_one_unit_more_is_refused() -> None:
    check_size(LIMITS, order(notional=50_000))
    refused = refusal(check_size, LIMITS, order(notional=50_001))
    assert (refused.limit, refused.value, refused.unit) == (50_000, 50_001, "quote_minor_units")


def test_the_position_limit_counts_the_position_and_the_open_orders_on_the_orders_side() -> None:
    exposure = Exposure(position=60, open_buy=30, open_sell=50)
    check_position(LIMITS, exposure, order(BUY, 10))  # 60 + 30 + 10 = 100
    refused = refusal(check_position, LIMITS, exposure, order(BUY, 11))
    assert (refused.code, refused.field, refused.limit, refused.value) == ("position-limit", "qty", 100, 101)
    # the resting sell does not make room for a larger buy: each side is counted as if it all filled
    check_position(LIMITS, exposure, order(SELL, 10))  # 60 - 50 - 10 = 0


def test_a_short_exposure_is_limited_as_a_long_one() -> None:
    exposure = Exposure(position=-40, open_sell=50)
    check_position(LIMITS, exposure, order(SELL, 10))
    assert refusal(check_position, LIMITS, exposure, order(SELL, 11)).value == 101


def test_an_order_that_only_reduces_an_exposure_over_the_limit_passes() -> None:
    over = Exposure(position=150)  # e.g. the limit was lowered since
    check_position(LIMITS, over, order(SELL, 10))
    assert refusal(check_position, LIMITS, over, order(BUY, 1)).value == 151


def test_the_band_rounds_inwards_and_its_edges_pass() -> None:
    assert band(LIMITS, 1_005) == (905, 1_105)  # 904.5 up, 1105.5 down
    for price in (905, 1_105):
        check_band(LIMITS, 1_005, order(price=price))
    low = refusal(check_band, LIMITS, 1_005, order(price=904))
    high = refusal(check_band, LIMITS, 1_005, order(price=1_106))
    assert (low.field, low.limit, low.value, high.limit, high.value) == ("price", 905, 904, 1_105, 1_106)
    assert high.extra == {"reference": 1_005, "band_bps": 1_000}


def test_without_a_reference_no_band_holds_a_price() -> None:
    check_band(LIMITS, 0, order(price=10**9))


def test_a_market_orders_protection_price_is_the_band_edge_on_its_side() -> None:
    assert protection_price(LIMITS, 1_001, BUY) == 1_051  # 1051.05 down: never past the protection
    assert protection_price(LIMITS, 1_001, SELL) == 951  # 950.95 up
    assert protection_price(LIMITS, 1, SELL) == 1


@pytest.mark.parametrize(
    ("position", "direction", "lots", "increases"),
    [
        (0, BUY, 1, True),
        (5, BUY, 1, True),
        (5, SELL, 5, False),
        (5, SELL, 3, False),
        (5, SELL, 6, True),  # flips to a short: opens a position
        (-5, BUY, 5, False),
        (-5, SELL, 1, True),
    ],
)
def test_the_cooldown_refuses_what_opens_or_increases_until_it_ends(
    position: int, direction: int, lots: int, increases: bool
) -> None:
    exposure = Exposure(position=position)
    facts = order(direction, lots)
    check_cooldown(160, 160, exposure, facts)  # over: anything passes
    check_cooldown(None, 160, exposure, facts)  # never liquidated
    if increases:
        refused = refusal(check_cooldown, 160, 159, exposure, facts)
        assert (refused.code, refused.limit, refused.extra) == ("liquidation-cooldown", 160, {"until": 160})
    else:
        check_cooldown(160, 159, exposure, facts)
