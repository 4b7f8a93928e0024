"""Auto-deleveraging: the last step, when the book did not take a bankrupt position and the insurance
fund cannot take it over. Traders on the other side are closed against it at the bankruptcy price, in
the order of the ADL queue.

The queue ranks by profit × leverage, as Binance and BitMEX do, so the most profitable and most
leveraged go first (they gained most from the move and hold the most risk per unit of margin):

    score = (unrealised PnL / |entry value|) × (|notional at mark| / equity)

computed as an exact Fraction (a ranking, never money). Only accounts with positive equity on the
opposite side are candidates; profitable ones rank before unprofitable (score ≤ 0) ones; ties go to the
lower account id, so the queue is deterministic. Accounts with no equity left (bankrupt themselves,
about to be liquidated) come last: every lot of the bankrupt position must find a counterparty, and the
sizes of all accounts (the fund's included) sum to zero, so the queue always holds enough.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from matching.perpetuals.accounts import Account
from matching.perpetuals.spec import PerpSpec


def adl_score(account: Account, mark: int, spec: PerpSpec) -> Fraction:
    """Profit ratio × effective leverage at `mark` (0 for a flat account or one with no equity)."""
    pos = account.position
    equity = account.equity(mark, spec)
    if pos.size == 0 or equity <= 0 or pos.entry_value == 0:
        return Fraction(0)
    pnl = pos.unrealised(mark, spec)
    notional = abs(spec.value(pos.size, mark))
    return Fraction(pnl * notional, abs(pos.entry_value) * equity)


def adl_queue(accounts: Iterable[Account], side: int, mark: int, spec: PerpSpec) -> list[Account]:
    """Accounts holding a position of sign `side` (1 long, -1 short), first to be deleveraged first."""
    ranked = [
        (a.equity(mark, spec) <= 0, -adl_score(a, mark, spec), a.id, a)
        for a in accounts
        if a.position.size * side > 0
    ]
    ranked.sort(key=lambda r: r[:3])
    return [r[3] for r in ranked]
