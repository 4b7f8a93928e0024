"""Integer arithmetic for money: the scales rates are written in and the one rounding helper set.

Every rounding in the perpetual goes through these helpers so the direction is visible at the call site
(`ceil_div` for what an account owes, `//` for what it is owed); Python's `//` floors towards minus
infinity, which is why signed amounts are rounded on their magnitude (`div_toward_zero`).
"""

from __future__ import annotations

from typing import Final

BPS: Final = 10_000
"""Margin rates, fees and the mark band are in basis points (1/10,000)."""
PPM: Final = 1_000_000
"""Premiums and funding rates are in parts per million (100 ppm = 0.01 %)."""


def ceil_div(a: int, b: int) -> int:
    """a / b rounded up (b > 0)."""
    return -(-a // b)


def div_toward_zero(a: int, b: int) -> int:
    """a / b rounded towards zero (b > 0): the magnitude is floored whatever the sign."""
    q = abs(a) // b
    return q if a >= 0 else -q


def clamp(x: int, lo: int, hi: int) -> int:
    """x held within [lo, hi] (lo <= hi)."""
    return lo if x < lo else hi if x > hi else x


def median3(a: int, b: int, c: int) -> int:
    """The middle one of three integers: the classic robust combiner (one bad input cannot move it
    outside the other two)."""
    return max(min(a, b), min(max(a, b), c))
