"""The ledger's side of a day: what our books say each rail moved, in the shape of the rail's own lines.

Every rail has a clearing account per currency and mode (`payments.intents.postings.clearing_account`, owner
`<live|test>:<rail>`). A payment's capture posts clearing -> merchant, a refund's post merchant -> clearing;
holds, voids and the fees never touch what the rail moved, so the day's posted changes on the clearing
accounts are exactly the money each rail should report. A transfer's reference says what it belongs to
(`postings.parsed_reference`): a payment is named by its intent id, a refund by its refund id (step
`refund:<id>:post`) — the ids the rails echo. The ledger alone answers, no join with the intents' tables:
it is the books being reconciled. A split payment posts one transfer per share; the rail sees one payment,
so the shares of one reference add up into one line. Disputes (code DISPUTE) are not lines of any rail's
statement (`ExternalLine` knows payments and refunds) and are left out.
"""

import datetime
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, select

from ledger.model import OwnerKind
from ledger.schema import accounts
from payments.intents.model import RailKind
from payments.intents.postings import Code, parsed_reference
from payments.reconciliation.days import window
from payments.reconciliation.entries import entries, posted_change
from payments.reconciliation.lines import LineKind

_KINDS: Final = {Code.PAYMENT: LineKind.PAYMENT, Code.REFUND: LineKind.REFUND}


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """What the ledger posted on `rail`'s clearing account for one reference on a day (positive, minor
    units), and the ledger transfers that make it up."""

    rail: RailKind
    kind: LineKind
    reference: str
    amount: int
    currency: str
    livemode: bool
    transfer_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Clearing:
    rail: RailKind
    livemode: bool


def _clearing_accounts(connection: Connection) -> dict[int, _Clearing]:
    """Every rail clearing account, by id, with its rail and mode (from its owner, `<mode>:<rail>`)."""
    rows = connection.execute(
        select(accounts.c.id, accounts.c.owner_id).where(
            accounts.c.owner_kind == str(OwnerKind.RAIL_CLEARING)
        )
    )
    found = {}
    for account_id, owner in rows:
        mode, _, rail = owner.partition(":")
        if rail in RailKind.__members__.values() and mode in ("live", "test"):
            found[account_id] = _Clearing(RailKind(rail), mode == "live")
    return found


def _reference(kind: LineKind, reference: str) -> str | None:
    """The id the rail echoes for a transfer's reference: the intent's for a payment's capture, the
    refund's for a refund's post; None for any other step (a hold, a release)."""
    parsed = parsed_reference(reference)
    if parsed is None:
        return None
    intent_id, step, _ = parsed
    if kind is LineKind.PAYMENT:
        return intent_id if step == "capture" else None
    what, _, rest = step.partition(":")
    refund_id, _, closing = rest.partition(":")
    return refund_id if (what, closing) == ("refund", "post") else None


def _line_kind(code: int) -> LineKind | None:
    try:
        return _KINDS.get(Code(code))
    except ValueError:  # a code no payment step writes
        return None


def ledger_lines(connection: Connection, day: datetime.date) -> list[LedgerLine]:
    """The posted movements of `day` (UTC) on every rail clearing account, one line per (rail, kind,
    reference), ordered by them."""
    clearing = _clearing_accounts(connection)
    if not clearing:
        return []
    start, end = window(day, day)
    lines: dict[tuple[RailKind, LineKind, str], LedgerLine] = {}
    for entry in entries(connection, clearing, start, end):
        account_id = entry.debit_account_id if entry.debit_account_id in clearing else entry.credit_account_id
        kind, change = _line_kind(entry.code), posted_change(entry, account_id)
        reference = None if kind is None or change == 0 else _reference(kind, entry.reference)
        if kind is None or reference is None:
            continue
        side = clearing[account_id]
        key = (side.rail, kind, reference)
        before = lines.get(key)
        amount, ids = (0, ()) if before is None else (before.amount, before.transfer_ids)
        lines[key] = LedgerLine(
            side.rail, kind, reference, amount + abs(change), entry.currency, side.livemode, (*ids, entry.id)
        )
    return [lines[key] for key in sorted(lines)]
