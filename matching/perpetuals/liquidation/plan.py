"""Deciding a liquidation: how much to close, at what limit, and the order that does it in the book.

Bankruptcy price: the price at which closing the whole position leaves the margin balance at exactly
zero, P = (entry_value − balance) / (size × multiplier). It is rounded in the account's favour (up for a
long, which sells; down for a short, which buys), so a close at P never leaves it below zero: the
rounding's fraction of a tick is borne by whoever takes the other side (the book, the fund or the
deleveraged trader), never created.

Tiers: if the account is not bankrupt at the mark, the smallest close q (found by bisection) such that
equity − liquidation fee(q) ≥ maintenance(size − q) is a partial liquidation; the rest of the position
stays open. Otherwise, or if only the whole position would do, it is a full one. The bisection is sound
because the spec keeps the liquidation fee rate below every maintenance rate: closing one more lot
frees more maintenance than it costs in fee.

The order: a LIMIT IOC at P, reduce-only, sized to the perpetual's own position. The engine clips
reduce-only orders to the position it saw trade; after a take-over or deleveraging (which never pass
through the book) that figure can be smaller, so the book may fill less, and the rest follows the
fund/ADL path rather than being lost.
"""

from __future__ import annotations

from typing import NamedTuple

from matching.engine import Kind, Place, Side, Tif
from matching.perpetuals.accounts import Account
from matching.perpetuals.errors import PerpetualError
from matching.perpetuals.margin import Health, check, fee, maintenance_margin
from matching.perpetuals.records import LiquidationTier, Reason
from matching.perpetuals.spec import PerpSpec
from matching.perpetuals.units import ceil_div


class LiquidationPlan(NamedTuple):
    account: int
    tier: LiquidationTier
    lots: int
    """Signed: the trade that closes (a long's plan sells, lots < 0)."""
    bankruptcy_price: int
    reason: Reason


def bankruptcy_price(account: Account, spec: PerpSpec) -> int:
    """The price (ticks, at least 1) at which the whole position's close leaves the balance at zero."""
    size = account.position.size
    if size == 0:
        raise PerpetualError("a flat account has no bankruptcy price")
    numerator = account.position.entry_value - account.margin_balance
    denominator = size * spec.multiplier
    # a long sells at P, so P rounds up; a short buys, so it rounds down (`//` floors whatever the signs)
    price = ceil_div(numerator, denominator) if size > 0 else numerator // denominator
    return max(1, price)


def _restores(account: Account, lots: int, mark: int, spec: PerpSpec) -> bool:
    """Whether closing `lots` (unsigned) at the mark brings the account back to maintenance."""
    size = account.position.size
    rest = size - lots if size > 0 else size + lots
    equity = account.equity(mark, spec) - fee(lots, mark, spec.liquidation_fee_bps, spec)
    return equity >= maintenance_margin(rest, mark, spec)


def partial_lots(account: Account, mark: int, spec: PerpSpec) -> int:
    """The fewest lots whose close at the mark restores maintenance (|size| if only all of it does)."""
    whole = abs(account.position.size)
    lo, hi = 1, whole
    while lo < hi:
        mid = (lo + hi) // 2
        if _restores(account, mid, mark, spec):
            hi = mid
        else:
            lo = mid + 1
    return lo


def plan_liquidation(
    account: Account, mark: int, spec: PerpSpec, escalate: bool = False
) -> LiquidationPlan | None:
    """The liquidation the account needs at `mark`, or None if it is above maintenance.

    `escalate` forces a full liquidation (a partial one already ran and did not restore the account).
    """
    state = check(account, mark, spec)
    if state.health is not Health.LIQUIDATE:
        return None
    size = account.position.size
    sign = 1 if size > 0 else -1
    if escalate:
        lots, reason = abs(size), Reason.PARTIAL_NOT_ENOUGH
    elif state.equity < 0:
        lots, reason = abs(size), Reason.EQUITY_NEGATIVE
    else:
        lots, reason = partial_lots(account, mark, spec), Reason.EQUITY_BELOW_MAINTENANCE
    tier = LiquidationTier.FULL if lots == abs(size) else LiquidationTier.PARTIAL
    return LiquidationPlan(account.id, tier, -sign * lots, bankruptcy_price(account, spec), reason)


def liquidation_order(plan: LiquidationPlan, order_id: int, ts: int) -> Place:
    """The plan as a command for the book: LIMIT IOC at the bankruptcy price, reduce-only."""
    side = Side.BUY if plan.lots > 0 else Side.SELL
    return Place(
        ts,
        order_id,
        plan.account,
        side,
        Kind.LIMIT,
        abs(plan.lots),
        price=plan.bankruptcy_price,
        tif=Tif.IOC,
        reduce_only=True,
    )
