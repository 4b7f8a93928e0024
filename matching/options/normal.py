"""The standard normal density and distribution function in Decimal, with a stated error bound.

Φ(x) = 1/2 + φ(x) · Σ_{n≥0} x^(2n+1) / (1·3·5···(2n+1))   (Marsaglia, "Evaluating the Normal
Distribution", J. Stat. Software 11(4), 2004; Abramowitz & Stegun 26.2.11). Every term has the sign of x
and, once 2n+3 > x², each term is at most r = x²/(2n+3) < 1 times the one before, so the terms left after
stopping sum to at most `term · r / (1 − r)`. The sum stops when that bound, times φ(x) ≤ 0.4, is below
`SERIES_TOLERANCE` (1e-34).

For |x| ≥ `TAIL_CUTOFF` (13) the result is 0 or 1: Φ(−13) < 6.2e-39 (Mills' ratio: Φ(−x) < φ(x)/x).
Inside it, the largest partial sums (at x = 13, about e^(84.5) ≈ 5e36 times the answer's scale) are held to
40 significant digits, so rounding costs at most ~1e-38 in φ·Σ. Hence **|Φ(x) − exact| ≤ 1e-30** for every
x (`ERROR_BOUND`), which tests/matching/options/test_normal.py checks against published values and against
an independent continued fraction for the tail.
"""

from decimal import Decimal
from typing import Final

from matching.options.decimal_context import CONTEXT, HALF, ONE, TWO, ZERO

ERROR_BOUND: Final = Decimal("1e-30")
SERIES_TOLERANCE: Final = Decimal("1e-34")
TAIL_CUTOFF: Final = Decimal(13)
_SQRT_TWO_PI: Final = CONTEXT.sqrt(
    CONTEXT.multiply(TWO, Decimal("3.141592653589793238462643383279502884197"))
)


def pdf(x: Decimal) -> Decimal:
    """φ(x) = exp(−x²/2) / √(2π)."""
    c = CONTEXT
    return c.divide(c.exp(c.minus(c.multiply(c.multiply(x, x), HALF))), _SQRT_TWO_PI)


def cdf(x: Decimal) -> Decimal:
    """Φ(x) within `ERROR_BOUND` (see the module docstring)."""
    c = CONTEXT
    if x >= TAIL_CUTOFF:
        return ONE
    if x <= -TAIL_CUTOFF:
        return ZERO
    square = c.multiply(x, x)
    term, total, n = x, x, 0
    while True:
        n += 1
        term = c.divide(c.multiply(term, square), Decimal(2 * n + 1))
        total = c.add(total, term)
        ratio = c.divide(square, Decimal(2 * n + 3))
        if ratio < HALF and c.divide(c.multiply(abs(term), ratio), c.subtract(ONE, ratio)) < SERIES_TOLERANCE:
            break
    return c.add(HALF, c.multiply(pdf(x), total))
