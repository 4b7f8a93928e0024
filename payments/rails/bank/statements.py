"""The bank's end-of-day statement (camt.053) of the collection account, as reconciliation's lines.

Each booked entry becomes an `ExternalLine`: a credit is a payment coming in, a debit a refund going out, and
a return reverses the one it returns (a returned payment is a debit: money out again, a `refund` line; a
returned refund a credit, a `payment` line), so the lines of a day add up to what moved. A return booked on
the same statement as the entry it returns cancels it and neither becomes a line: the money came back at
once, and our books (which took the return as the step's failure) never posted it either. A return alone
on a statement (its entry booked an earlier day) stays a line, a difference to look at. The line's
reference is the intent's id for a payment and the refund's id for a refund, read back from our remittance
text; the bank's entry reference is the line's external id.
"""

import datetime
from collections.abc import Sequence

import httpx

from payments.intents.model import RailKind
from payments.rails.bank.camt import Entry, parse_statement
from payments.rails.bank.client import STATEMENT_PATH, XML, BankConnection
from payments.rails.bank.references import StepReference
from payments.rails.bank.xsd import InvalidMessage
from payments.reconciliation.lines import ExternalLine, LineKind


class StatementUnavailable(RuntimeError):
    """The bank did not give a valid statement for the day (reconciliation retries later)."""


class BankStatements:
    """`payments.reconciliation.lines.StatementSource` reading the collection account's camt.053."""

    def __init__(self, connection: BankConnection, http: httpx.Client | None = None) -> None:
        self.connection = connection
        self._http = http or httpx.Client(timeout=connection.timeout_seconds)

    @property
    def rail(self) -> RailKind:
        return RailKind.BANK

    def statement(self, day: datetime.date) -> bytes:
        """The day's camt.053 as the bank sent it."""
        params = {"date": day.isoformat(), "iban": self.connection.collection.iban}
        try:
            answer = self._http.get(
                self.connection.endpoint(STATEMENT_PATH), params=params, headers={"Accept": XML}
            )
        except httpx.HTTPError as error:
            raise StatementUnavailable(f"the bank did not answer: {type(error).__name__}") from error
        if answer.status_code != httpx.codes.OK:
            raise StatementUnavailable(f"the bank answered HTTP {answer.status_code}")
        return answer.content

    def lines(self, day: datetime.date) -> Sequence[ExternalLine]:
        try:
            report = parse_statement(self.statement(day))
        except InvalidMessage as error:
            raise StatementUnavailable(f"the bank's camt.053 is invalid: {error}") from error
        if report.iban != self.connection.collection.iban or report.day != day:
            raise StatementUnavailable("the bank sent a statement of another account or day")
        return [self._line(entry) for entry in unreturned(report.entries)]

    def _line(self, entry: Entry) -> ExternalLine:
        try:
            step = StepReference.parse(entry.remittance, entry.end_to_end_id)
        except InvalidMessage as error:
            raise StatementUnavailable(f"entry {entry.reference}: {error}") from error
        return ExternalLine(
            rail=RailKind.BANK,
            kind=LineKind.PAYMENT if entry.credit else LineKind.REFUND,
            reference=step.object_id,
            external_id=entry.reference,
            amount=entry.amount,
            currency=entry.currency,
            booked_on=entry.booked_on,
            livemode=self.connection.livemode,
        )


def _returns(entry: Entry, earlier: Entry) -> bool:
    """Whether `entry` is the return of `earlier`: the same transfer (remittance, EndToEndId, amount,
    currency) booked back the other way."""
    same = (entry.remittance, entry.end_to_end_id, entry.amount, entry.currency) == (
        earlier.remittance,
        earlier.end_to_end_id,
        earlier.amount,
        earlier.currency,
    )
    return same and entry.is_return and not earlier.is_return and entry.credit != earlier.credit


def unreturned(entries: Sequence[Entry]) -> list[Entry]:
    """The entries left once each return and the entry it returns, both on this statement, are taken out."""
    kept: list[Entry] = []
    for entry in entries:
        returned = next((earlier for earlier in kept if _returns(entry, earlier)), None)
        if returned is None:
            kept.append(entry)
        else:
            kept.remove(returned)
    return kept
