"""Accounts and positions: what each trader holds, and how a fill changes it, exactly.

A position is its signed size in lots (long > 0) and its signed entry value, the tUSD value of the open
lots at the prices they were opened at (Σ lots × price × multiplier; long > 0). Closing part of a
position removes the same share of the entry value, floored (`entry × closed // size`); the floor's
remainder stays in the entry value and is realised with the last lot, so over a position's life the
realised PnL is exactly what was sold minus what was bought: no unit is made or lost by rounding.

Money lives in two buckets: `collateral` (the wallet, which in cross mode is the position's margin) and
`isolated_margin` (in isolated mode, what was set aside for the position: it alone bears the position's
losses, and returns to the wallet when the position closes). Realised PnL, fees and funding go to the
bucket that margins the position.

For every account `collateral + isolated_margin − entry_value` changes by exactly minus the signed value
of each fill, so summed over both sides of every trade it is constant: this is the conservation the
tests check (equal, at any common mark, to the sum of equities, since the sizes sum to zero).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from matching.perpetuals.errors import PerpetualError
from matching.perpetuals.spec import PerpSpec


class MarginMode(IntEnum):
    CROSS = 0
    ISOLATED = 1


@dataclass
class Position:
    size: int = 0
    entry_value: int = 0
    realised_pnl: int = 0

    def unrealised(self, mark: int, spec: PerpSpec) -> int:
        """What closing the whole position at `mark` would realise (tUSD minor units)."""
        return spec.value(self.size, mark) - self.entry_value


@dataclass
class Account:
    id: int
    collateral: int = 0
    mode: MarginMode = MarginMode.CROSS
    isolated_margin: int = 0
    leverage: int = 5
    position: Position = field(default_factory=Position)

    @property
    def isolated(self) -> bool:
        """Whether an isolated margin bucket is in use: isolated mode with a position open."""
        return self.mode is MarginMode.ISOLATED and self.position.size != 0

    @property
    def margin_balance(self) -> int:
        """The money that margins the position: the set-aside of an open isolated position, else the
        wallet."""
        return self.isolated_margin if self.isolated else self.collateral

    def credit(self, amount: int) -> None:
        """Add `amount` (negative: debit) to the bucket that margins the position."""
        if self.isolated:
            self.isolated_margin += amount
        else:
            self.collateral += amount

    def equity(self, mark: int, spec: PerpSpec) -> int:
        """Margin balance plus unrealised PnL at `mark`: what is left if the position closed at the mark."""
        return self.margin_balance + self.position.unrealised(mark, spec)

    def total_money(self) -> int:
        """Both buckets: what the account holds whatever its mode (the conservation tests sum this)."""
        return self.collateral + self.isolated_margin


def apply_fill(account: Account, lots: int, price: int, spec: PerpSpec) -> int:
    """Apply a fill of `lots` (signed: bought > 0) at `price` ticks; return the PnL it realised.

    The closing part realises against the floored share of the entry value; any rest opens the other way
    at `price`. The realised PnL is credited to the margin bucket. A flat isolated position hands its
    margin back to the wallet.
    """
    pos = account.position
    realised = 0
    if pos.size != 0 and (pos.size > 0) != (lots > 0):
        closing = min(abs(lots), abs(pos.size))
        sign = 1 if pos.size > 0 else -1
        removed = pos.entry_value * closing // abs(pos.size)
        realised = spec.value(sign * closing, price) - removed
        pos.size -= sign * closing
        pos.entry_value -= removed
        lots += sign * closing
    account.credit(realised)
    pos.size += lots
    pos.entry_value += spec.value(lots, price)
    pos.realised_pnl += realised
    if pos.size == 0 and account.isolated_margin != 0:
        release_isolated(account)
    return realised


def release_isolated(account: Account) -> None:
    """Return the isolated margin (gain or loss included) to the wallet; only a flat position may."""
    if account.position.size != 0:
        raise PerpetualError("isolated margin is released only when the position is flat")
    account.collateral += account.isolated_margin
    account.isolated_margin = 0
