"""A merchant's statement for a period: its balance account in one currency and mode, movement by movement.

The balance is the AVAILABLE one (posted, less what is held going out): what the merchant can be paid out.
So every event a merchant sees is a line: a payment captured (+), the platform's fee (-), a refund as soon
as it is asked (its amount held, -), a refund the rail refused (the hold given back, +), a dispute opened
(held, -) and won (given back, +). A posted refund or lost dispute changes nothing more: its money left at
the hold. An authorization is no line until captured (money coming in counts once posted). Opening is the
balance from every transfer before the first day, closing is opening plus the lines, and the lines are the
journal's own entries, so closing is the account's balance at the end of the period.
"""

import datetime
import enum
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection

from ledger.model import TransferFlags
from payments.intents.postings import Code, merchant_account, parsed_reference
from payments.merchants.tenant import Tenant
from payments.reconciliation.days import window
from payments.reconciliation.entries import Entry, available_before, available_change, entries

_RELEASE: Final = TransferFlags.VOID_PENDING | TransferFlags.EXPIRE_PENDING


class LineType(enum.StrEnum):
    PAYMENT = "payment"
    FEE = "fee"
    REFUND = "refund"
    REFUND_REVERSAL = "refund_reversal"
    DISPUTE_HOLD = "dispute_hold"
    DISPUTE_RELEASE = "dispute_release"
    ADJUSTMENT = "adjustment"
    """A transfer on the account that no payment step made (an operator's, through the ledger API)."""


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One movement: `amount` signed (minor units), `balance` the available balance after it."""

    booked_at: int
    type: LineType
    reference: str
    amount: int
    balance: int


@dataclass(frozen=True, slots=True)
class Statement:
    currency: str
    first: datetime.date
    last: datetime.date
    opening: int
    lines: tuple[StatementLine, ...]

    @property
    def closing(self) -> int:
        return self.opening + sum(line.amount for line in self.lines)


def _typed(entry: Entry) -> tuple[LineType, str]:
    """What the movement is, and what it belongs to: the intent for a payment or fee, the refund or the
    dispute for theirs (`pi:<intent>:<refund|dispute>:<id>[:void|:post]:<share>`)."""
    parsed = parsed_reference(entry.reference)
    try:
        code = Code(entry.code)
    except ValueError:  # a code no payment step writes
        parsed = None
    if parsed is None:
        return LineType.ADJUSTMENT, entry.reference
    intent_id, step, _ = parsed
    if code in (Code.PAYMENT, Code.FEE):
        return (LineType.PAYMENT if code is Code.PAYMENT else LineType.FEE), intent_id
    record_id = step.split(":")[1] if step.count(":") else step
    released = bool(entry.flags & _RELEASE)
    if code is Code.REFUND:
        return (LineType.REFUND_REVERSAL if released else LineType.REFUND), record_id
    return (LineType.DISPUTE_RELEASE if released else LineType.DISPUTE_HOLD), record_id


def statement(
    connection: Connection, tenant: Tenant, currency: str, first: datetime.date, last: datetime.date
) -> Statement:
    """`tenant`'s statement in `currency` (its ledger code) for the days `first`..`last` (UTC)."""
    account_id = merchant_account(currency, tenant.livemode, tenant.merchant_id).id
    start, end = window(first, last)
    balance = opening = available_before(connection, account_id, start)
    lines = []
    for entry in entries(connection, [account_id], start, end):
        change = available_change(entry, account_id)
        if change == 0:
            continue
        balance += change
        line_type, reference = _typed(entry)
        lines.append(StatementLine(entry.timestamp, line_type, reference, change, balance))
    return Statement(currency, first, last, opening, tuple(lines))
