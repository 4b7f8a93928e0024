"""The exact arithmetic of a quote: rates as rationals, amounts as ints in minor units, banker's rounding.

The customer's rate is the mid rate less the spread (`spread_bps` basis points, against the customer: fewer
buy units per sell unit), cut down to `RATE_DIGITS` significant digits, so the rate shown in a quote is
exactly the rate its amounts were computed at: a client recomputes them from the quote alone. Given a sell
amount, the buy amount is sell x rate rounded half to even to the buy currency's minor unit; given a buy
amount, the sell amount is buy / rate rounded the same way to the sell currency's minor unit.

What the FX desk books (see docs/fx.md): the sell amount at the mid rate is worth `mid_value` buy minor
units, a rational. Of that, the customer is paid `buy_amount`, the spread account gets the spread rounded
half to even, and what is left (`remainder`, a rational of at most a minor unit or two either way) goes to
the rounding account's running carry, which books whole minor units as soon as they add up (`carry`).
"""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final

from payments.fx.currency import Currency
from payments.fx.errors import InvalidAmount

BPS: Final = 10_000
RATE_DIGITS: Final = 10
"""Significant digits of a customer rate (like a dealer's quote; finer than any minor unit matters)."""
INT64_MAX: Final = 2**63 - 1


def round_half_even(value: Fraction) -> int:
    """`value` to the nearest int, a tie to the even one (Python's `round` on a Fraction: exact)."""
    return round(value)


def cut_rate(value: Fraction) -> Decimal:
    """`value` (> 0) cut down (towards zero) to `RATE_DIGITS` significant digits, exactly."""
    if value <= 0:
        raise ValueError("a rate is positive")
    shift = RATE_DIGITS - (len(str(value.numerator)) - len(str(value.denominator)))
    while True:
        scaled = value * Fraction(10) ** shift
        digits = scaled.numerator // scaled.denominator
        if digits >= 10**RATE_DIGITS:
            shift -= 1
        elif digits < 10 ** (RATE_DIGITS - 1):
            shift += 1
        else:
            return Decimal(digits).scaleb(-shift)


def rate_text(rate: Decimal) -> str:
    """A rate as a plain decimal string, no exponent and no trailing zeros: "1.0832", "162.45", "0.00615"."""
    text = format(rate, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def minor_scale(sell: Currency, buy: Currency) -> Fraction:
    """What turns a rate of major units into one of minor units: buy minor units per sell minor unit."""
    return Fraction(buy.minor_units_per_major, sell.minor_units_per_major)


@dataclass(frozen=True, slots=True)
class Price:
    """A quote's numbers: the mid rate, the customer's rate, and the two amounts in minor units."""

    mid: Fraction
    rate: Decimal
    spread_bps: int
    sell_amount: int
    buy_amount: int


def customer_rate(mid: Fraction, spread_bps: int) -> Decimal:
    if not 0 <= spread_bps < BPS:
        raise ValueError(f"a spread is 0 to {BPS - 1} basis points, not {spread_bps}")
    return cut_rate(mid * (BPS - spread_bps) / BPS)


def _checked(amount: int, field: str, currency: Currency) -> int:
    if amount < 1:
        raise InvalidAmount(f"too small: the other side is under one minor unit of {currency}", field)
    if amount > INT64_MAX:
        raise InvalidAmount(f"too large: the other side exceeds 2^63 - 1 minor units of {currency}", field)
    return amount


def price(
    sell: Currency,
    buy: Currency,
    mid: Fraction,
    spread_bps: int,
    *,
    sell_amount: int | None = None,
    buy_amount: int | None = None,
) -> Price:
    """Price selling `sell_amount` (or buying `buy_amount`: exactly one is given) at `mid` less the spread."""
    if (sell_amount is None) == (buy_amount is None):
        raise ValueError("give exactly one of sell_amount and buy_amount")
    rate = customer_rate(mid, spread_bps)
    per_minor = Fraction(rate) * minor_scale(sell, buy)
    if sell_amount is not None:
        buy_amount = _checked(round_half_even(sell_amount * per_minor), "sell_amount", buy)
    else:
        assert buy_amount is not None
        sell_amount = _checked(round_half_even(buy_amount / per_minor), "buy_amount", sell)
    return Price(mid, rate, spread_bps, sell_amount, buy_amount)


@dataclass(frozen=True, slots=True)
class Booking:
    """How a priced conversion's mid value is booked in the buy currency: `spread` whole minor units to the
    spread account, `remainder` (a rational) to the rounding account's carry. The customer gets
    `buy_amount`; the three add up to `sell_amount` x mid exactly."""

    spread: int
    remainder: Fraction


def booking(priced: Price, sell: Currency, buy: Currency) -> Booking:
    scale = minor_scale(sell, buy)
    mid_value = priced.sell_amount * priced.mid * scale
    spread = round_half_even(mid_value - priced.sell_amount * Fraction(priced.rate) * scale)
    return Booking(spread, mid_value - priced.buy_amount - spread)


def carry(previous: Fraction, remainder: Fraction) -> tuple[int, Fraction]:
    """The rounding account's carry after `remainder`: the whole minor units to book now (towards zero:
    positive from the position to the rounding account, negative back), and the fraction still carried
    (always strictly between -1 and 1)."""
    total = previous + remainder
    booked = int(total)  # int() of a Fraction truncates towards zero
    return booked, total - booked
