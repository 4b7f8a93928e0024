"""A model price as a whole number of the series' ticks, and money as whole ledger units.

A mark is rounded to the **nearest** tick, an exact half **up** (away from zero): the book trades whole ticks
only, and a mark is a reference, not an amount that moves, so the nearest tick is the least biased choice
(half up rather than to even so that a value and its mark never differ by more than half a tick in the
seller's disfavour, and so the rule is the one people compute by hand). Money that an account owes
(a margin requirement) is rounded **up** to the ledger unit, money it is paid (intrinsic value at expiry)
**down**: neither rounding can make the venue promise more than it holds.
"""

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from matching.options.decimal_context import CONTEXT


def to_ticks(price: Decimal, tick: Decimal) -> int:
    """`price` (quote per one underlying) in whole ticks of `tick`, nearest, halves up; never negative."""
    ticks = CONTEXT.divide(price, tick).quantize(Decimal(1), rounding=ROUND_HALF_UP, context=CONTEXT)
    return max(int(ticks), 0)


def owed_units(amount: Decimal) -> int:
    """An amount an account owes, in whole ledger units, rounded up."""
    return int(amount.to_integral_value(rounding=ROUND_CEILING, context=CONTEXT))


def paid_units(amount: Decimal) -> int:
    """An amount an account is paid, in whole ledger units, rounded down."""
    return int(amount.to_integral_value(rounding=ROUND_FLOOR, context=CONTEXT))
