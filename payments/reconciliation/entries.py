"""The ledger's transfers as entries of given accounts over a time window, and what each does to a balance.

Reconciliation and the merchants' reports read the journal, never the accounts' running totals: a window's
lines must explain a balance's change over it, and only the transfers can. A resolution (post, void, expiry)
carries its own amount but moves the pending transfer's, so each entry comes with the amount of the pending
transfer it resolves. Windows are ns of the ledger's clock (`payments.reconciliation.days.window`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, func, or_, select

from ledger.model import TransferFlags
from ledger.schema import transfers

_HOLD: Final = TransferFlags.PENDING
_POST: Final = TransferFlags.POST_PENDING
_RELEASE: Final = TransferFlags.VOID_PENDING | TransferFlags.EXPIRE_PENDING
_NOT_POSTED: Final = _HOLD | _RELEASE


@dataclass(frozen=True, slots=True)
class Entry:
    """One transfer touching an account: `pending_amount` is the amount of the pending transfer it resolves
    (None unless it is a post, void or expiry)."""

    id: int
    reference: str
    currency: str
    debit_account_id: int
    credit_account_id: int
    amount: int
    flags: TransferFlags
    code: int
    timestamp: int
    pending_amount: int | None


def posted_change(entry: Entry, account_id: int) -> int:
    """What `entry` adds to `account_id`'s posted balance, seen from its credit side."""
    if entry.flags & _NOT_POSTED:
        return 0
    return entry.amount if entry.credit_account_id == account_id else -entry.amount


def available_change(entry: Entry, account_id: int) -> int:
    """What `entry` adds to `account_id`'s available balance (posted less what is held going out), seen
    from its credit side: a hold going out takes at once, its release gives back, its post changes nothing
    but what a partial post leaves over. Money coming in counts once posted."""
    return _available_change(
        entry.flags, entry.credit_account_id == account_id, entry.amount, entry.pending_amount
    )


def _available_change(flags: int, credited: bool, amount: int, pending_amount: int | None) -> int:
    """Linear in `amount` and `pending_amount`, so sums of entries sharing flags and side fold alike."""
    if credited:
        return 0 if flags & _NOT_POSTED else amount
    if flags & _HOLD:
        return -amount
    if flags & _POST:
        return (pending_amount or 0) - amount
    if flags & _RELEASE:
        return pending_amount or 0
    return -amount


def _touching(account_ids: Iterable[int]) -> Any:
    wanted = sorted(set(account_ids))
    return or_(transfers.c.debit_account_id.in_(wanted), transfers.c.credit_account_id.in_(wanted))


def _pending() -> Any:
    return transfers.alias("pending")


def entries(connection: Connection, account_ids: Iterable[int], start: int, end: int) -> list[Entry]:
    """The transfers touching `account_ids` stamped within [start, end), in journal order."""
    pending = _pending()
    query = (
        select(
            transfers.c.id,
            transfers.c.reference,
            transfers.c.currency,
            transfers.c.debit_account_id,
            transfers.c.credit_account_id,
            transfers.c.amount,
            transfers.c.flags,
            transfers.c.code,
            transfers.c.timestamp,
            pending.c.amount,
        )
        .select_from(transfers.outerjoin(pending, transfers.c.pending_id == pending.c.id))
        .where(_touching(account_ids), transfers.c.timestamp >= start, transfers.c.timestamp < end)
        .order_by(transfers.c.timestamp, transfers.c.id)
    )
    return [
        Entry(
            id=row[0],
            reference=row[1],
            currency=row[2],
            debit_account_id=row[3],
            credit_account_id=row[4],
            amount=row[5],
            flags=TransferFlags(row[6]),
            code=row[7],
            timestamp=row[8],
            pending_amount=row[9],
        )
        for row in connection.execute(query)
    ]


def available_before(connection: Connection, account_id: int, moment: int) -> int:
    """`account_id`'s available balance from the transfers stamped before `moment`, summed in the database
    per (flags, side): the change is linear in the amounts, so each group folds as one entry would."""
    pending = _pending()
    credited = transfers.c.credit_account_id == account_id
    query = (
        select(transfers.c.flags, credited, func.sum(transfers.c.amount), func.sum(pending.c.amount))
        .select_from(transfers.outerjoin(pending, transfers.c.pending_id == pending.c.id))
        .where(_touching([account_id]), transfers.c.timestamp < moment)
        .group_by(transfers.c.flags, credited)
    )
    return sum(
        _available_change(int(flags), bool(is_credit), int(amount), None if held is None else int(held))
        for flags, is_credit, amount, held in connection.execute(query)
    )
