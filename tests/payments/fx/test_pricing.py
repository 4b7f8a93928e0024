"""Pricing by hand: rates cut to 10 significant digits, amounts rounded half to even to the minor unit."""

from decimal import Decimal
from fractions import Fraction

import pytest

from payments.fx.currency import currency
from payments.fx.errors import InvalidAmount
from payments.fx.pricing import booking, carry, cut_rate, price, rate_text

EUR, USD, JPY, KWD, BHD = (currency(code) for code in ("EUR", "USD", "JPY", "KWD", "BHD"))


def test_eur_to_usd_at_the_reference_rate_less_50_bps() -> None:
    # 1.0832 x (1 - 0.005) = 1.077784; 100.00 EUR -> 107.7784 USD -> 107.78 USD.
    priced = price(EUR, USD, Fraction("1.0832"), 50, sell_amount=10_000)
    assert (priced.rate, priced.sell_amount, priced.buy_amount) == (Decimal("1.077784"), 10_000, 10_778)
    # At mid, 100.00 EUR is worth 108.32 USD: 107.78 to the customer, 0.5416 -> 0.54 spread, 0 left.
    assert booking(priced, EUR, USD) == booking(priced, EUR, USD).__class__(54, Fraction(0))


def test_usd_to_jpy_rounds_to_whole_yen() -> None:
    # 120 x 0.995 = 119.4 JPY per USD; 12.34 USD -> 1473.396 JPY -> 1473 JPY.
    priced = price(USD, JPY, Fraction(120), 50, sell_amount=1_234)
    assert (priced.rate, priced.buy_amount) == (Decimal("119.4"), 1_473)
    # Mid value 1480.8 JPY: 1473 paid, spread 7.404 -> 7, remainder 0.8 to the rounding carry.
    plan = booking(priced, USD, JPY)
    assert (plan.spread, plan.remainder) == (7, Fraction(4, 5))


def test_jpy_to_eur() -> None:
    # 1/150 EUR per JPY at mid, no spread: 0.006666666666... cut to 0.006666666666 (10 digits).
    priced = price(JPY, EUR, Fraction(1, 150), 0, sell_amount=15_000)
    assert priced.rate == Decimal("0.006666666666")
    assert priced.buy_amount == 10_000  # 15000 x 0.006666666666 EUR = 99.99999999 EUR -> 100.00
    plan = booking(priced, JPY, EUR)
    assert plan.spread == 0  # 15000 x (1/150 - 0.006666666666) x 100 cents = 0.000001 cents
    assert plan.spread + plan.remainder == Fraction(0)  # mid value 100.00 EUR exactly, all paid


def test_eur_to_kwd_three_decimals() -> None:
    # 0.3315 KWD per EUR, no spread: 1.00 EUR -> 0.3315 KWD = 331.5 fils -> 332 (even);
    # 3.00 EUR -> 994.5 fils -> 994 (even).
    assert price(EUR, KWD, Fraction("0.3315"), 0, sell_amount=100).buy_amount == 332
    assert price(EUR, KWD, Fraction("0.3315"), 0, sell_amount=300).buy_amount == 994


@pytest.mark.parametrize(
    ("cents", "yen"),
    [(1, 2), (3, 4), (5, 8), (7, 10), (2, 3)],  # 1.5->2, 4.5->4, 7.5->8, 10.5->10, 3.0->3
)
def test_an_exact_half_minor_unit_rounds_to_even(cents: int, yen: int) -> None:
    assert price(USD, JPY, Fraction(150), 0, sell_amount=cents).buy_amount == yen


def test_buy_amount_prices_the_sell_side_half_to_even() -> None:
    # 1000 JPY at 150 JPY per USD: 6.666... USD -> 667 cents; 75 JPY -> 50 cents exactly.
    assert price(USD, JPY, Fraction(150), 0, buy_amount=1_000).sell_amount == 667
    assert price(USD, JPY, Fraction(150), 0, buy_amount=75).sell_amount == 50
    # 0.4 BHD per EUR: buying 1.001 BHD costs 2.5025 EUR -> 250 cents (.25 rounds down).
    assert price(EUR, BHD, Fraction("0.4"), 0, buy_amount=1_001).sell_amount == 250


def test_amounts_too_small_or_too_large_are_refused_naming_the_field() -> None:
    with pytest.raises(InvalidAmount) as raised:
        price(JPY, EUR, Fraction(1, 1000), 0, sell_amount=1)  # 0.1 cent
    assert raised.value.field == "sell_amount"
    with pytest.raises(InvalidAmount) as raised:
        price(EUR, JPY, Fraction(150), 0, sell_amount=2**63 - 1)  # 1.5 x (2^63 - 1) yen
    assert raised.value.field == "sell_amount"
    with pytest.raises(InvalidAmount) as raised:
        price(JPY, EUR, Fraction(1, 150), 0, buy_amount=2**63 - 1)
    assert raised.value.field == "buy_amount"


def test_rates_are_cut_down_to_ten_significant_digits() -> None:
    assert rate_text(cut_rate(Fraction(2, 3))) == "0.6666666666"
    assert rate_text(cut_rate(Fraction(1_234_567_890_123))) == "1234567890000"
    assert rate_text(cut_rate(Fraction(1, 8))) == "0.125"


def test_the_carry_books_whole_units_towards_zero() -> None:
    assert carry(Fraction(3, 4), Fraction(1, 2)) == (1, Fraction(1, 4))
    assert carry(Fraction(-3, 4), Fraction(-1, 2)) == (-1, Fraction(-1, 4))
    assert carry(Fraction(1, 4), Fraction(-1, 2)) == (0, Fraction(-1, 4))
