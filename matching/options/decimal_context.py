"""The one decimal context every option computation runs under, so a price is the same on every machine.

40 significant digits, halves to even, and every signal that would hide a bad input (an invalid operation, a
division by zero, an overflow) raises instead of producing NaN or infinity. Forty digits leave the normal
CDF's 1e-30 error bound (`matching.options.normal`) ten digits of headroom against rounding in the series.
"""

from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Final

CONTEXT: Final = Context(
    prec=40,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
    Emin=-999999,
    Emax=999999,
)
ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)
TWO: Final = Decimal(2)
HALF: Final = Decimal("0.5")
