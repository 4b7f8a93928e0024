"""Initial and maintenance margin, leverage caps, and the health check run on every fill and mark change.

Requirements are on the notional at the mark, at the rate of the tier the whole position falls in, and
round up (an account owes margin, so the house never under-asks by a unit). The initial rate is the
larger of the tier's and 1/leverage: an account's chosen leverage can lower its leverage, never raise it
past the tier's cap (5x by default, lower for big positions).

`check(account, mark)` is the one decision: LIQUIDATE under maintenance, MARGIN_CALL under
`margin_call_bps` of maintenance (a warning while there is still room), HEALTHY otherwise. A flat
account is always healthy. `admit` is the pre-trade check: a fill that adds to a position must leave
equity (after its fee) at or above the new initial margin; a fill that only reduces is always admitted,
since refusing it would keep risk on.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import NamedTuple

from matching.perpetuals.accounts import Account, MarginMode
from matching.perpetuals.spec import PerpSpec
from matching.perpetuals.units import BPS, ceil_div


class Health(IntEnum):
    HEALTHY = 0
    MARGIN_CALL = 1
    LIQUIDATE = 2


class MarginState(NamedTuple):
    """One account's margin at a mark, in tUSD minor units."""

    health: Health
    equity: int
    initial: int
    maintenance: int


def initial_rate_bps(lots: int, leverage: int, spec: PerpSpec) -> int:
    """The initial margin rate for a position of `lots` at the account's `leverage`."""
    tier = spec.tier(lots)
    return max(tier.imr_bps, ceil_div(BPS, max(1, leverage)))


def initial_margin(lots: int, mark: int, leverage: int, spec: PerpSpec) -> int:
    return ceil_div(abs(spec.value(lots, mark)) * initial_rate_bps(lots, leverage, spec), BPS)


def maintenance_margin(lots: int, mark: int, spec: PerpSpec) -> int:
    return ceil_div(abs(spec.value(lots, mark)) * spec.tier(lots).mmr_bps, BPS)


def check(account: Account, mark: int, spec: PerpSpec) -> MarginState:
    """The account's health at `mark` (see the module docstring for the thresholds)."""
    size = account.position.size
    equity = account.equity(mark, spec)
    im = initial_margin(size, mark, account.leverage, spec)
    mm = maintenance_margin(size, mark, spec)
    if size == 0:
        return MarginState(Health.HEALTHY, equity, 0, 0)
    if equity < mm:
        health = Health.LIQUIDATE
    elif equity * BPS < mm * spec.margin_call_bps:
        health = Health.MARGIN_CALL
    else:
        health = Health.HEALTHY
    return MarginState(health, equity, im, mm)


def fee(lots: int, price: int, bps: int, spec: PerpSpec) -> int:
    """A fee of `bps` on the fill's notional, rounded up (the payer owes it)."""
    return ceil_div(abs(spec.value(lots, price)) * bps, BPS)


Fill = tuple[int, int]
"""An order that may still fill: (lots, signed: + buys, - sells; its limit price in ticks)."""


def admit(account: Account, fills: Sequence[Fill], mark: int, spec: PerpSpec, withheld: int = 0) -> bool:
    """Whether `fills` (one side's orders: the resting ones and a new one) may all happen: reducing
    always; adding only if the equity afterwards, marked at `mark`, net of their taker fees, of the loss
    an order's price would book at once against the mark (its gain is not counted: the mark may have
    moved by the time it fills) and of `withheld` (money about to leave), covers the new initial margin.

    Each side is checked with every order resting on it, so an account can never rest more than its
    margin carries and then be filled into an unmargined position (the worst case is one side filling
    whole; the other side's orders only shrink that position). In isolated mode the wallet counts too,
    since the margin a new fill needs is moved from it.
    """
    size = account.position.size
    lots = sum(qty for qty, _ in fills)
    new_size = size + lots
    if abs(new_size) <= abs(size) and (new_size == 0 or (new_size > 0) == (size > 0)):
        return True
    equity = account.equity(mark, spec) - withheld
    for qty, price in fills:
        equity -= fee(qty, price, spec.taker_fee_bps, spec)
        equity += min(0, spec.value(qty, mark) - spec.value(qty, price))  # a loss at once; a gain, not yet
    if account.isolated:  # the set-aside margins the position; the wallet can top it up
        equity += account.collateral
    return equity >= initial_margin(new_size, mark, account.leverage, spec)


def carries(
    account: Account,
    buys: Sequence[Fill],
    sells: Sequence[Fill],
    mark: int,
    spec: PerpSpec,
    withheld: int = 0,
) -> bool:
    """Whether either side of the account's resting orders could still fill whole once `withheld` has
    left (or at the account's new leverage): the check before money leaves or the leverage drops. The
    position alone is the domain's own check (`Perpetual.withdraw`, `Runner._configure`)."""
    return all(admit(account, side, mark, spec, withheld) for side in (buys, sells) if side)


def fund_isolated(account: Account, mark: int, spec: PerpSpec) -> int:
    """Move from the wallet into an isolated position's margin what its initial margin lacks (as much as
    the wallet holds); return the amount moved. Cross accounts are untouched."""
    if account.mode is not MarginMode.ISOLATED or account.position.size == 0:
        return 0
    im = initial_margin(account.position.size, mark, account.leverage, spec)
    moved = min(max(0, im - account.equity(mark, spec)), max(0, account.collateral))
    account.collateral -= moved
    account.isolated_margin += moved
    return moved
