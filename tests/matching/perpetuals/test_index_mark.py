"""The index rule (AMM clamped into the book's spread), tick conversion, and the mark's band."""

from __future__ import annotations

from fractions import Fraction

import pytest

from matching.perpetuals.index import AmmIndexSource, BookQuote, combine_index, to_ticks
from matching.perpetuals.mark import fair_price, mark_band, mark_price
from matching.perpetuals.spec import PerpSpec

from .helpers import SPEC


class FakePool:
    """Stands for `UniswapV2Pool`: `price(base)` as an exact fraction of base units."""

    def __init__(self, price: Fraction) -> None:
        self._price = price
        self.asked: list[str] = []

    def price(self, base: str) -> Fraction:
        self.asked.append(base)
        return self._price


def test_amm_source_reads_the_pool_price_of_the_base_token() -> None:
    pool = FakePool(Fraction(3, 2))
    assert AmmIndexSource(pool, "0xTPW").price() == Fraction(3, 2)
    assert pool.asked == ["0xTPW"]


def test_uniswap_pool_satisfies_the_protocol() -> None:
    from chain.uniswap_v2 import UniswapV2Pool
    from matching.perpetuals.index import PricedPool

    pool: type[PricedPool] = UniswapV2Pool  # mypy checks the structural match
    assert callable(pool.price)


def test_to_ticks_rounds_to_nearest_exactly() -> None:
    spec = PerpSpec()  # one tick = 100 tUSD units per 1e18 TPW wei
    # 1.2345 tUSD per TPW = 1_234_500 units per 1e18 wei = 12_345 ticks
    assert to_ticks(Fraction(1_234_500, 10**18), spec) == 12_345
    assert to_ticks(Fraction(1_234_549, 10**18), spec) == 12_345
    assert to_ticks(Fraction(1_234_551, 10**18), spec) == 12_346
    assert to_ticks(Fraction(1, 10**30), spec) == 1
    with pytest.raises(ValueError, match="positive"):
        to_ticks(Fraction(0), spec)


def test_index_is_the_amm_clamped_into_the_spread() -> None:
    assert combine_index(1_000, BookQuote()) == 1_000  # empty book: the AMM alone
    assert combine_index(1_000, BookQuote(bid=900)) == 1_000  # one-sided: the AMM alone
    assert combine_index(1_000, BookQuote(bid=990, ask=1_010)) == 1_000
    assert combine_index(1_500, BookQuote(bid=990, ask=1_010)) == 1_010
    assert combine_index(500, BookQuote(bid=990, ask=1_010)) == 990


def test_mark_is_the_fair_price_within_the_band() -> None:
    lo, hi = mark_band(1_000, SPEC)  # 50 bps
    assert (lo, hi) == (995, 1_005)
    assert fair_price(1_000, BookQuote(bid=1_001, ask=1_003, last=1_010)) == 1_003
    assert mark_price(1_000, BookQuote(bid=1_001, ask=1_003, last=1_002), SPEC) == 1_002
    assert mark_price(1_000, BookQuote(bid=1_100, ask=1_200, last=1_150), SPEC) == 1_005
    assert mark_price(1_000, BookQuote(bid=1, ask=2, last=1), SPEC) == 995
    assert mark_price(1_000, BookQuote(last=5_000), SPEC) == 1_000  # one-sided: the index


def test_band_rounds_inwards_and_never_excludes_the_index() -> None:
    assert mark_band(1, SPEC) == (1, 1)
    lo, hi = mark_band(1_999, SPEC)
    assert lo * 10_000 >= 1_999 * 9_950
    assert hi * 10_000 <= 1_999 * 10_050
