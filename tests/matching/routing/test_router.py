"""The smart order router on random venues: the split sums to the order, costs no more than any venue
alone, is the same every time, and explains every venue; plus the cases a reader checks by hand."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.engine import Side
from matching.markets import TPW_TUSD
from matching.routing import NoLiquidity, route
from matching.routing.fills import Fill
from matching.routing.venues import BookVenue, Ladder, PoolVenue, gas_in_quote

WEI = 10**18


def _ladder(draw: st.DrawFn, side: Side, mid: int) -> list[tuple[int, int]]:
    count = draw(st.integers(0, 6))
    gaps = draw(st.lists(st.integers(1, 5), min_size=count, max_size=count))
    sizes = draw(st.lists(st.integers(1, 40), min_size=count, max_size=count))
    levels, price = [], mid
    for gap, size in zip(gaps, sizes, strict=True):
        price = price + gap if side is Side.SELL else price - gap
        if price <= 0:
            break
        levels.append((price, size))
    return levels


@st.composite
def venues(draw: st.DrawFn) -> list[BookVenue | PoolVenue]:
    mid = draw(st.integers(100, 400))
    book = BookVenue(
        "book",
        TPW_TUSD,
        Ladder(_ladder(draw, Side.BUY, mid), _ladder(draw, Side.SELL, mid)),
        TPW_TUSD.taker_fee_bps,
    )
    outside = BookVenue(
        "outside",
        TPW_TUSD,
        Ladder(_ladder(draw, Side.BUY, mid + 1), _ladder(draw, Side.SELL, mid - 1)),
        draw(st.integers(0, 50)),
        draw(st.integers(0, 200_000)),
    )
    reserve_base = draw(st.integers(20, 5_000)) * WEI
    pool = PoolVenue(
        "pool",
        reserve_base,
        reserve_base // WEI * mid * TPW_TUSD.quote_per_tick_lot * draw(st.integers(95, 105)) // 100,
        WEI,
        draw(st.integers(0, 2_000_000)),
        max_lots=500,
    )
    return [book, pool, outside]


def _alone(venue: BookVenue | PoolVenue, side: Side, lots: int) -> Fill | None:
    return venue.quote(side, lots) if venue.capacity(side) >= lots else None


@settings(max_examples=150, deadline=None)
@given(venues(), st.sampled_from(Side), st.integers(1, 120))
def test_the_split_sums_to_the_order_and_beats_every_venue_alone(
    found: list[BookVenue | PoolVenue], side: Side, lots: int
) -> None:
    try:
        chosen = route(found, side, lots)
    except NoLiquidity:
        assert sum(venue.capacity(side) for venue in found) < lots
        return
    assert sum(leg.lots for leg in chosen.legs) == lots
    assert chosen.cost == sum(fill.cost for fill in chosen.fills)
    assert [leg.venue for leg in chosen.legs] == [venue.name for venue in found]
    for venue in found:
        alone = _alone(venue, side, lots)
        if alone is not None:
            assert chosen.cost <= alone.cost
    for leg, venue in zip(chosen.legs, found, strict=True):
        assert leg.lots <= venue.capacity(side)
        assert leg.reason
        assert leg.detail
    assert route(found, side, lots) == chosen  # deterministic


def test_a_small_order_skips_the_pool_for_its_gas_and_a_large_one_uses_it() -> None:
    book = BookVenue("book", TPW_TUSD, Ladder(asks=[(251, 5), (255, 10), (270, 100)]), 20)
    gas = gas_in_quote(130_000, 10**9, 3_000 * 10**6)  # 130k gas at 1 gwei, ether at 3,000 tUSD
    assert gas == 390_000  # 0.39 tUSD
    pool = PoolVenue("pool", 1_000 * WEI, 2_500 * 10**6, WEI, gas)

    small = route([book, pool], Side.BUY, 2)
    assert [leg.lots for leg in small.legs] == [2, 0]
    assert small.legs[1].reason == "costlier"

    large = route([book, pool], Side.BUY, 40)
    assert large.legs[0].lots + large.legs[1].lots == 40
    assert large.legs[1].lots > 0
    assert large.cost < book.quote(Side.BUY, 40).cost
    assert large.cost < pool.quote(Side.BUY, 40).cost


def test_a_venue_without_depth_is_named_and_a_short_market_refused() -> None:
    book = BookVenue("book", TPW_TUSD, Ladder(asks=[(251, 5)]), 20)
    empty = BookVenue("outside", TPW_TUSD, Ladder(), 15)
    only = route([book, empty], Side.BUY, 5)
    assert [(leg.lots, leg.reason) for leg in only.legs] == [(5, "depth_exhausted"), (0, "no_liquidity")]
    with pytest.raises(NoLiquidity):
        route([book, empty], Side.BUY, 6)
    with pytest.raises(ValueError, match="positive"):
        route([book], Side.BUY, 0)


def test_the_book_fill_walks_levels_and_prices_its_parts() -> None:
    book = BookVenue("book", TPW_TUSD, Ladder(bids=[(250, 3), (248, 10)]), 20)
    fill = book.quote(Side.SELL, 5)
    assert fill.notional == (3 * 250 + 2 * 248) * 10_000
    assert fill.impact == 5 * 250 * 10_000 - fill.notional
    assert fill.fee == fill.notional * 20 // 10_000
    assert fill.cost == fill.fee - fill.notional
