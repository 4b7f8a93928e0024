"""Market specs: ticks and lots as exact ledger units, decimal strings in and out, inexact ones refused."""

import pytest

from matching.markets import TPW_TUSD, MarketSpec, MarketSpecError


def test_tpw_tusd_steps_are_a_cent_and_one_tpw() -> None:
    assert TPW_TUSD.price_ticks("12.34") == 1_234
    assert TPW_TUSD.qty_lots("3") == 3
    assert TPW_TUSD.price_text(1_234) == "12.34"
    assert TPW_TUSD.price_text(1_200) == "12"
    assert TPW_TUSD.qty_text(3) == "3"
    # 3 TPW at 12.34 tUSD: 37.02 tUSD, in 10^-6 units; 20 bps of it exactly
    assert TPW_TUSD.notional(3, 1_234) == 37_020_000
    assert TPW_TUSD.fee(37_020_000, 20) == 74_040


@pytest.mark.parametrize("text", ["12.345", "0", "0.00", "-1", "1e2", "NaN", " 1", "1,5", "", "1.2.3"])
def test_a_price_off_the_tick_or_malformed_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(MarketSpecError) as error:
        TPW_TUSD.price_ticks(text, "price")
    assert error.value.field == "price"


def test_a_quantity_off_the_lot_or_beyond_the_limit_is_refused() -> None:
    for text in ("0.5", str(TPW_TUSD.max_qty_lots + 1)):
        with pytest.raises(MarketSpecError):
            TPW_TUSD.qty_lots(text)


def test_a_fee_rate_that_would_round_is_refused_at_construction() -> None:
    with pytest.raises(MarketSpecError) as error:
        MarketSpec("X-Y", "XXX", "YYY", 6, 6, 1_000, 100, maker_fee_bps=1, taker_fee_bps=0)
    assert error.value.field == "maker_fee_bps"


def test_every_fee_of_the_market_is_exact() -> None:
    for lots in (1, 7, 999):
        for price in (1, 3, 12_345):
            notional = TPW_TUSD.notional(lots, price)
            for bps in (TPW_TUSD.maker_fee_bps, TPW_TUSD.taker_fee_bps):
                assert notional * bps % 10_000 == 0
