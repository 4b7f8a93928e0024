"""The normal CDF against published values and an independent continued fraction, within its error bound."""

from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.options.normal import ERROR_BOUND, TAIL_CUTOFF, cdf, pdf

# Φ(1), Φ(2), Φ(3) to 20 places (published tables), and Φ(√2·a) = (1 + erf(a)) / 2 with erf(1) and erf(2)
# to 50 places (OEIS A099286 and its erf(2) companion): these hold the series to its 1e-30 bound.
PUBLISHED = [
    (Decimal(1), Decimal("0.84134474606854294859")),
    (Decimal(2), Decimal("0.97724986805182079280")),
    (Decimal(3), Decimal("0.99865010196836990547")),
]
ERF = [
    (Decimal(1), Decimal("0.84270079294971486934122063508260925929606699796630")),
    (Decimal(2), Decimal("0.99532226501895273416206925636725292861089179704006")),
]


def tail_continued_fraction(x: Decimal) -> Decimal:
    """Φ(−x) for x > 0 by Laplace's continued fraction of Mills' ratio, evaluated bottom-up with 400 levels at
    60 digits: an independent method (the series is not used) to hold the series to its bound."""
    with localcontext() as context:
        context.prec = 60
        tail = Decimal(0)
        for k in range(400, 0, -1):
            tail = k / (x + tail)
        return pdf(x) / (x + tail)


@pytest.mark.parametrize(("x", "expected"), PUBLISHED)
def test_published_values(x: Decimal, expected: Decimal) -> None:
    with localcontext() as context:
        context.prec = 60
        assert abs(cdf(x) - expected) <= Decimal("0.5e-20")  # the table's own rounding
        assert abs(cdf(-x) - (1 - expected)) <= Decimal("0.5e-20")


@pytest.mark.parametrize(("a", "erf"), ERF)
def test_erf_values_at_root_two_multiples(a: Decimal, erf: Decimal) -> None:
    with localcontext() as context:
        context.prec = 50
        x = a * Decimal(2).sqrt()
        assert abs(cdf(x) - (1 + erf) / 2) <= ERROR_BOUND


@pytest.mark.parametrize("x", [Decimal(v) for v in ("3", "4.5", "6", "8.25", "10", "12.9")])
def test_the_tail_agrees_with_an_independent_continued_fraction(x: Decimal) -> None:
    with localcontext() as context:
        context.prec = 60
        assert abs(cdf(-x) - tail_continued_fraction(x)) <= ERROR_BOUND
        assert abs((1 - cdf(x)) - tail_continued_fraction(x)) <= ERROR_BOUND


def test_beyond_the_cutoff_the_answer_is_within_the_bound() -> None:
    assert cdf(TAIL_CUTOFF) == 1
    assert cdf(-TAIL_CUTOFF) == 0
    assert tail_continued_fraction(TAIL_CUTOFF) < ERROR_BOUND


@given(st.decimals(min_value=-14, max_value=14, places=6))
def test_symmetric_monotone_and_bounded(x: Decimal) -> None:
    with localcontext() as context:
        context.prec = 60
        assert abs(cdf(x) + cdf(-x) - 1) <= 2 * ERROR_BOUND
        assert 0 <= cdf(x) <= 1
        assert cdf(x + Decimal("0.01")) >= cdf(x) - ERROR_BOUND
