"""TWAP and VWAP schedules: a parent order's lots cut into child slices due at set times.

TWAP spreads the lots evenly over `slices` equal intervals; VWAP weights each interval by the volume a
profile expects in it (recorded trades or candles). Both split integers by largest remainder, so the
slices sum to the parent's lots exactly, ties going to the earlier slice, and the same input gives the
same schedule. Times are µs on the caller's clock (`Clock`): the service's wall clock, a test's manual
one, a backtest's simulated one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    """Where the current time comes from (µs)."""

    def now(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Slice:
    """Child `index` of a parent: `lots` due at `due` µs."""

    index: int
    due: int
    lots: int


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to `weights` (non-negative, not all zero) by largest remainder."""
    if total < 0 or not weights or any(weight < 0 for weight in weights) or sum(weights) == 0:
        raise ValueError("weights must be non-negative and not all zero, total non-negative")
    whole = sum(weights)
    shares = [total * weight // whole for weight in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _schedule(lots: int, start: int, end: int, weights: Sequence[int]) -> list[Slice]:
    if lots <= 0 or end <= start:
        raise ValueError("lots must be positive and the window must end after it starts")
    step = (end - start) // len(weights)
    shares = apportion(lots, weights)
    return [Slice(i, start + i * step, share) for i, share in enumerate(shares) if share]


def twap(lots: int, start: int, end: int, slices: int) -> list[Slice]:
    """`lots` in `slices` equal parts, one at the start of each equal interval of [start, end)."""
    if slices <= 0:
        raise ValueError("slices must be positive")
    return [
        Slice(i, piece.due, piece.lots)
        for i, piece in enumerate(_schedule(lots, start, end, [1] * min(slices, lots)))
    ]


def vwap(lots: int, start: int, end: int, profile: Sequence[int]) -> list[Slice]:
    """`lots` in proportion to `profile` (expected volume per equal interval of [start, end)); an empty
    interval gets no slice. A profile with no volume at all falls back to TWAP over its intervals."""
    if not profile:
        raise ValueError("the volume profile is empty")
    weights = list(profile) if sum(profile) > 0 else [1] * len(profile)
    return [Slice(i, piece.due, piece.lots) for i, piece in enumerate(_schedule(lots, start, end, weights))]
