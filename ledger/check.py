"""The ledger's audit: every stored total recomputed from the journal of transfers, every invariant checked.

The accounts' four totals are a cache of the transfers, kept for speed. This module recomputes them from the
transfers alone (a posted transfer or a post counts as posted, a pending transfer counts as pending until a
post, void or expiry names it) and reports every disagreement, then checks what double entry promises:
in each currency the debits equal the credits, no account breaks its balance constraint, no transfer moves
money between currencies, no post exceeds its pending transfer. The sums run in the database (one GROUP BY
per side), so an audit of a large ledger never loads its transfers into Python.
"""

import enum
from collections import defaultdict
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, Engine, case, func, or_, select

from ledger.model import AccountFlags, TransferFlags
from ledger.schema import ACCOUNT_TOTALS, accounts, transfers
from ledger.store import begin_writing

FINDINGS_PER_QUERY: Final = 100
_NOT_POSTED = int(TransferFlags.PENDING | TransferFlags.VOID_PENDING | TransferFlags.EXPIRE_PENDING)


class FindingKind(enum.StrEnum):
    TOTAL_DISAGREES = "total_disagrees"
    CURRENCY_UNBALANCED = "currency_unbalanced"
    CONSTRAINT_BROKEN = "constraint_broken"
    TRANSFER_CROSSES_LEDGERS = "transfer_crosses_ledgers"
    POST_EXCEEDS_PENDING = "post_exceeds_pending"


@dataclass(frozen=True, slots=True)
class Finding:
    """One disagreement: what kind, about what (an account id, a currency, a transfer id), and the detail."""

    kind: FindingKind
    subject: str
    detail: str


def _replayed_totals(connection: Connection) -> dict[int, dict[str, int]]:
    """Each account's four totals, from the transfers alone."""
    resolution = transfers.alias("resolution")
    posted = case(((transfers.c.flags.op("&")(_NOT_POSTED)) == 0, transfers.c.amount), else_=0)
    pending = case(
        (
            ((transfers.c.flags.op("&")(int(TransferFlags.PENDING))) != 0) & resolution.c.id.is_(None),
            transfers.c.amount,
        ),
        else_=0,
    )
    joined = transfers.outerjoin(resolution, resolution.c.pending_id == transfers.c.id)
    totals: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ACCOUNT_TOTALS, 0))
    for side in ("debit", "credit"):
        column = transfers.c[f"{side}_account_id"]
        query = select(column, func.sum(posted), func.sum(pending)).select_from(joined).group_by(column)
        for account_id, posted_sum, pending_sum in connection.execute(query):
            totals[account_id][f"{side}s_posted"] = int(posted_sum or 0)
            totals[account_id][f"{side}s_pending"] = int(pending_sum or 0)
    return totals


def _account_findings(connection: Connection) -> list[Finding]:
    replayed = _replayed_totals(connection)
    findings: list[Finding] = []
    sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ACCOUNT_TOTALS, 0))
    for row in connection.execute(select(accounts).order_by(accounts.c.id)):
        stored = {name: int(getattr(row, name)) for name in ACCOUNT_TOTALS}
        expected = replayed.pop(row.id, dict.fromkeys(ACCOUNT_TOTALS, 0))
        for name in ACCOUNT_TOTALS:
            sums[row.currency][name] += stored[name]
            if stored[name] != expected[name]:
                detail = f"{name} is {stored[name]}, the transfers make it {expected[name]}"
                findings.append(Finding(FindingKind.TOTAL_DISAGREES, str(row.id), detail))
        flags = AccountFlags(row.flags)
        debits = stored["debits_pending"] + stored["debits_posted"]
        credits = stored["credits_pending"] + stored["credits_posted"]
        if flags & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS and debits > stored["credits_posted"]:
            detail = f"debits {debits} exceed credits posted {stored['credits_posted']}"
            findings.append(Finding(FindingKind.CONSTRAINT_BROKEN, str(row.id), detail))
        if flags & AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS and credits > stored["debits_posted"]:
            detail = f"credits {credits} exceed debits posted {stored['debits_posted']}"
            findings.append(Finding(FindingKind.CONSTRAINT_BROKEN, str(row.id), detail))
    for account_id in replayed:  # a foreign key makes this impossible; the audit does not assume it
        findings.append(
            Finding(FindingKind.TOTAL_DISAGREES, str(account_id), "transfers name a missing account")
        )
    for currency, total in sorted(sums.items()):
        for kind in ("posted", "pending"):
            debits, credits = total[f"debits_{kind}"], total[f"credits_{kind}"]
            if debits != credits:
                detail = f"{kind}: debits {debits} != credits {credits}"
                findings.append(Finding(FindingKind.CURRENCY_UNBALANCED, currency, detail))
    return findings


def _transfer_findings(connection: Connection) -> list[Finding]:
    debit, credit = accounts.alias("debit"), accounts.alias("credit")
    crossing = (
        select(transfers.c.id, transfers.c.currency, debit.c.currency, credit.c.currency)
        .join(debit, debit.c.id == transfers.c.debit_account_id)
        .join(credit, credit.c.id == transfers.c.credit_account_id)
        .where(or_(transfers.c.currency != debit.c.currency, transfers.c.currency != credit.c.currency))
        .limit(FINDINGS_PER_QUERY)
    )
    findings = [
        Finding(FindingKind.TRANSFER_CROSSES_LEDGERS, str(row[0]), f"{row[1]} between {row[2]} and {row[3]}")
        for row in connection.execute(crossing)
    ]
    pending = transfers.alias("pending")
    oversized = (
        select(transfers.c.id, transfers.c.amount, pending.c.amount)
        .join(pending, pending.c.id == transfers.c.pending_id)
        .where(transfers.c.amount > pending.c.amount)
        .limit(FINDINGS_PER_QUERY)
    )
    findings += [
        Finding(FindingKind.POST_EXCEEDS_PENDING, str(row[0]), f"moves {row[1]} of a pending {row[2]}")
        for row in connection.execute(oversized)
    ]
    return findings


def verify(engine: Engine) -> list[Finding]:
    """Every disagreement between the stored totals and the journal, and every broken invariant; [] is clean.

    Every query must see the same snapshot while transfers keep being written: on PostgreSQL the audit runs
    at REPEATABLE READ; on SQLite, whose driver reads outside transactions, it holds the write lock.
    """
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as connection, connection.begin():
        begin_writing(connection)
        return _account_findings(connection) + _transfer_findings(connection)
