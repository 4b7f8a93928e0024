"""Funding: what ties the perpetual to the index, paid between longs and shorts every interval.

Units: the premium and the rate are in ppm of the mark notional per interval.

    premium      = (mark − index) × 1e6 / index                       (rounded towards zero)
    premium index P = mean of the interval's premium samples            (rounded towards zero)
    rate         = clamp(P + clamp(interest − P, ±premium_clamp), ±funding_cap)

so a small premium funds at exactly the interest rate (0.01 %), and no interval can cost more than the
cap (BitMEX's and Binance's formula). A positive rate: longs pay shorts; negative: shorts pay longs.

Rounding, chosen so that funding creates and destroys nothing: each payer pays
⌊|size| × mark × multiplier × |rate| / 1e6⌋ (the floor: a payer never pays above the rate), and the
receivers share exactly the total paid, pro rata to their sizes: each gets the floor of its share, and
the units the floors leave (fewer than there are receivers) go one each to the largest remainders, ties
to the lower account id (the largest-remainder method). The payments therefore sum to zero exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from matching.perpetuals.errors import PerpetualError
from matching.perpetuals.spec import PerpSpec
from matching.perpetuals.units import PPM, clamp, div_toward_zero


def premium_ppm(mark: int, index: int) -> int:
    """The mark's premium over the index, in ppm, rounded towards zero."""
    return div_toward_zero((mark - index) * PPM, index)


def funding_rate(premium_index: int, spec: PerpSpec) -> int:
    """The clamped funding rate in ppm for an interval whose average premium was `premium_index`."""
    damper = clamp(spec.interest_ppm - premium_index, -spec.premium_clamp_ppm, spec.premium_clamp_ppm)
    return clamp(premium_index + damper, -spec.funding_cap_ppm, spec.funding_cap_ppm)


def funding_payments(sizes: Mapping[int, int], mark: int, rate: int, spec: PerpSpec) -> dict[int, int]:
    """Each account's funding (account id → signed amount: negative paid, positive received), summing
    to zero exactly. Accounts with no position or a zero rate get nothing."""
    if rate == 0:
        return {}
    payer_sign = 1 if rate > 0 else -1
    out: dict[int, int] = {}
    paid = 0
    receivers: list[tuple[int, int]] = []
    for account in sorted(sizes):
        size = sizes[account]
        if size == 0:
            continue
        if (size > 0) == (payer_sign > 0):
            amount = abs(spec.value(size, mark)) * abs(rate) // PPM
            if amount:
                out[account] = -amount
                paid += amount
        else:
            receivers.append((account, abs(size)))
    if not receivers:
        if paid:
            raise PerpetualError("funding has payers but no receivers: sizes do not sum to zero")
        return out
    weight = sum(w for _, w in receivers)
    shares = {a: paid * w // weight for a, w in receivers}
    left = paid - sum(shares.values())
    by_remainder = sorted(receivers, key=lambda r: (-(paid * r[1] % weight), r[0]))
    for account, _ in by_remainder[:left]:
        shares[account] += 1
    for account, share in shares.items():
        if share:
            out[account] = share
    return out


@dataclass
class FundingClock:
    """Samples the premium while an interval runs and states the rate when it ends.

    `next_ts` is the end of the current interval in the book's clock; `sample` is called on every mark
    change (or on a timer), and `settle(ts)` returns the rate once `ts` has reached `next_ts` (then the
    next interval starts). An interval with no sample funds at the interest rate (premium 0).
    """

    next_ts: int
    samples: list[int] = field(default_factory=list)

    def sample(self, mark: int, index: int) -> None:
        self.samples.append(premium_ppm(mark, index))

    def premium_index(self) -> int:
        if not self.samples:
            return 0
        return div_toward_zero(sum(self.samples), len(self.samples))

    def settle(self, ts: int, spec: PerpSpec) -> int | None:
        """The interval's rate if it is due at `ts` (and start the next one), else None."""
        if ts < self.next_ts:
            return None
        rate = funding_rate(self.premium_index(), spec)
        self.samples.clear()
        while self.next_ts <= ts:
            self.next_ts += spec.funding_interval
        return rate
