"""A merchant's tax report: per month (UTC) and currency, what its balance received and gave up.

Columns, all POSTED money (final, unlike the statement's holds): `gross` the payments captured to it,
`refunds` the refunds that left it, `disputes_lost` the chargebacks it lost, `fees` the platform's fees
charged, `adjustments` any other transfer on its balance (signed; an operator's correction), and `net` =
gross - refunds - disputes_lost - fees + adjustments, which is exactly the change of its posted balance
over the month. A dispute still open or won, a refund still pending or refused: nothing posted, no figure.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, select

from ledger.ids import NS_PER_SECOND
from ledger.model import OwnerKind
from ledger.schema import accounts
from payments.intents.postings import Code, merchant_owner
from payments.merchants.tenant import Tenant
from payments.reconciliation.days import window
from payments.reconciliation.entries import Entry, entries, posted_change


@dataclass(slots=True)
class TaxRow:
    """One month in one currency; amounts in minor units."""

    month: str
    currency: str
    gross: int = 0
    refunds: int = 0
    disputes_lost: int = 0
    fees: int = 0
    adjustments: int = 0
    net: int = 0

    def add(self, code: int, change: int) -> None:
        """Count a posted change of the balance under its column (a charge as a positive figure)."""
        self.net += change
        if code == Code.PAYMENT and change > 0:
            self.gross += change
        elif code == Code.REFUND:
            self.refunds -= change
        elif code == Code.DISPUTE:
            self.disputes_lost -= change
        elif code == Code.FEE:
            self.fees -= change
        else:
            self.adjustments += change


def _month(entry: Entry) -> str:
    moment = datetime.datetime.fromtimestamp(entry.timestamp // NS_PER_SECOND, datetime.UTC)
    return f"{moment.year:04d}-{moment.month:02d}"


def _balance_accounts(connection: Connection, tenant: Tenant) -> dict[int, str]:
    """The tenant's balance accounts, by id, with their currency."""
    owner = merchant_owner(tenant.livemode, tenant.merchant_id)
    rows = connection.execute(
        select(accounts.c.id, accounts.c.currency).where(
            accounts.c.owner_kind == str(OwnerKind.MERCHANT), accounts.c.owner_id == owner
        )
    )
    return {row.id: row.currency for row in rows}


def tax_report(
    connection: Connection, tenant: Tenant, first: datetime.date, last: datetime.date
) -> list[TaxRow]:
    """`tenant`'s rows for the days `first`..`last` (UTC), by month then currency; months without a
    posted movement have no row."""
    balances = _balance_accounts(connection, tenant)
    rows: dict[tuple[str, str], TaxRow] = {}
    found: Iterable[Entry] = entries(connection, balances, *window(first, last)) if balances else []
    for entry in found:
        account_id = entry.debit_account_id if entry.debit_account_id in balances else entry.credit_account_id
        change = posted_change(entry, account_id)
        if change:
            key = (_month(entry), balances[account_id])
            rows.setdefault(key, TaxRow(*key)).add(entry.code, change)
    return [rows[key] for key in sorted(rows)]
