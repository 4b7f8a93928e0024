"""The reports behind the routes: validate the period and currency, read the ledger, render CSV.

A period is whole UTC days `from`..`to`, at most `MAX_DAYS` long and not ending in the future. Amounts are
shown in major units with the currency's ISO 4217 exponent (`payments.fx.currency`), exact decimal strings;
times are ISO 8601 UTC. The columns are documented in docs/reconciliation.md and pinned by the tests.
"""

import datetime
from typing import Final

from anyio import to_thread
from sqlalchemy.orm import Session

from api.errors import InvalidRequest
from ledger.ids import EPOCH
from payments.fx.currency import NON_ISO
from payments.fx.currency import currency as currency_named
from payments.fx.errors import UnknownCurrency
from payments.merchants.tenant import Tenant
from payments.reconciliation.days import parse_day, today
from payments.reconciliation.reports.csv_export import Cell, Money, to_csv
from payments.reconciliation.reports.statement import statement
from payments.reconciliation.reports.tax import tax_report

MAX_DAYS: Final = 366
STATEMENT_COLUMNS: Final = ("booked_at", "type", "reference", "amount", "balance", "currency")
TAX_COLUMNS: Final = ("month", "currency", "gross", "refunds", "disputes_lost", "fees", "adjustments", "net")


def _invalid(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(
        f"invalid value for: {field} ({message})", errors=[{"field": field, "message": message}]
    )


def _day(text: str, field: str) -> datetime.date:
    try:
        return parse_day(text)
    except ValueError as error:
        raise _invalid(field, str(error)) from None


def period(first_text: str, last_text: str) -> tuple[datetime.date, datetime.date]:
    """The days `from`..`to`; a 422 naming the field at fault."""
    first, last = _day(first_text, "from"), _day(last_text, "to")
    if last < first:
        raise _invalid("to", "on or after `from`")
    if last > today():
        raise _invalid("to", "not in the future")
    if (last - first).days + 1 > MAX_DAYS:
        raise _invalid("to", f"a period is at most {MAX_DAYS} days")
    return first, last


def _moment(ns: int) -> str:
    return (EPOCH + datetime.timedelta(microseconds=ns // 1_000)).isoformat().replace("+00:00", "Z")


def _exponent(code: str, field: str = "currency") -> tuple[str, int]:
    try:
        found = currency_named(code, field)
    except UnknownCurrency as error:
        raise _invalid(field, str(error)) from None
    return found.ledger_code, found.exponent


def _statement_csv(session: Session, tenant: Tenant, first_text: str, last_text: str, code: str) -> str:
    first, last = period(first_text, last_text)
    ledger_code, exponent = _exponent(code)
    try:
        found = statement(session.connection(), tenant, ledger_code, first, last)
    finally:
        session.rollback()
    rows: list[list[Cell]] = [["", "opening_balance", "", "", Money(found.opening, exponent), code]]
    rows += [
        [
            _moment(line.booked_at),
            line.type.value,
            line.reference,
            Money(line.amount, exponent),
            Money(line.balance, exponent),
            code,
        ]
        for line in found.lines
    ]
    rows.append(["", "closing_balance", "", "", Money(found.closing, exponent), code])
    return to_csv(STATEMENT_COLUMNS, rows)


async def statement_csv(session: Session, tenant: Tenant, first: str, last: str, code: str) -> str:
    """The tenant's statement in `code`: an opening row, one row per movement, a closing row."""
    return await to_thread.run_sync(_statement_csv, session, tenant, first, last, code)


def _tax_csv(session: Session, tenant: Tenant, first_text: str, last_text: str) -> str:
    first, last = period(first_text, last_text)
    try:
        rows = tax_report(session.connection(), tenant, first, last)
    finally:
        session.rollback()
    cells: list[list[Cell]] = []
    for row in rows:
        code, exponent = _shown(row.currency)
        figures = (row.gross, row.refunds, row.disputes_lost, row.fees, row.adjustments, row.net)
        cells.append([row.month, code, *(Money(figure, exponent) for figure in figures)])
    return to_csv(TAX_COLUMNS, cells)


def _shown(ledger_code: str) -> tuple[str, int]:
    """The code clients know a ledger currency by (tUSD for the ledger's QTU), and its exponent."""
    known = {found.ledger_code: found for found in NON_ISO.values()}
    try:
        found = known.get(ledger_code) or currency_named(ledger_code)
    except UnknownCurrency:  # an ISO code without a minor unit (XAU): its amounts are whole units
        return ledger_code, 0
    return found.code, found.exponent


async def tax_csv(session: Session, tenant: Tenant, first: str, last: str) -> str:
    """The tenant's tax report: one row per month and currency."""
    return await to_thread.run_sync(_tax_csv, session, tenant, first, last)
