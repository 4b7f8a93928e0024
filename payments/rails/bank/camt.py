"""camt.054.001.08 (debit/credit notification) and camt.053.001.08 (end-of-day statement): what the bank
booked on an account, entry by entry, in the two reports that share the entry's shape (`ReportEntry10`).

An `Entry` is one booking: a credit (money in) or a debit, its EndToEndId and our remittance text echoed
from the pain.001 that caused it, and for a return the ISO reason code (`RtrInf`). A notification carries
the entries of one transfer as they are booked (a payment's credit, or the credit and its return); a
statement carries a day's entries with the opening and closing booked balances.
"""

import datetime
from dataclasses import dataclass
from typing import Any, Final

from payments.rails.bank.amounts import from_decimal, to_decimal
from payments.rails.bank.xsd import InvalidMessage, Message, decode, encode

BOOKED: Final = "BOOK"
DOMAIN: Final = "PMNT"
RECEIVED, ISSUED = "RCDT", "ICDT"
"""Bank transaction code families: received and issued credit transfers."""
SEPA_CREDIT_TRANSFER, RETURN = "ESCT", "RRTN"


@dataclass(frozen=True, slots=True)
class Entry:
    """One booking on the reported account; `reference` is the bank's own id of it (AcctSvcrRef)."""

    reference: str
    credit: bool
    amount: int
    currency: str
    booked_on: datetime.date
    end_to_end_id: str | None
    remittance: str | None
    return_reason: str | None = None

    @property
    def is_return(self) -> bool:
        return self.return_reason is not None


@dataclass(frozen=True, slots=True)
class Report:
    """A notification's or a statement's header and entries for one account (an IBAN)."""

    message_id: str
    created_at: datetime.datetime
    iban: str
    entries: tuple[Entry, ...]
    opening_balance: int | None = None
    """Statements only: booked balance at the start of `day` (and closing at its end), minor units."""
    closing_balance: int | None = None
    day: datetime.date | None = None


def _timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _indicator(credit: bool) -> str:
    return "CRDT" if credit else "DBIT"


def _entry(entry: Entry) -> dict[str, Any]:
    # A credit on the reported account is a received transfer (or the return of one we issued).
    family = RECEIVED if entry.credit != entry.is_return else ISSUED
    code = {
        "Domn": {
            "Cd": DOMAIN,
            "Fmly": {"Cd": family, "SubFmlyCd": RETURN if entry.is_return else SEPA_CREDIT_TRANSFER},
        }
    }
    amount = {"@Ccy": entry.currency, "$": to_decimal(entry.amount, entry.currency)}
    transaction: dict[str, Any] = {"Refs": {"AcctSvcrRef": entry.reference}}
    if entry.end_to_end_id is not None:
        transaction["Refs"]["EndToEndId"] = entry.end_to_end_id
    transaction |= {"Amt": amount, "CdtDbtInd": _indicator(entry.credit)}
    if entry.remittance:
        transaction["RmtInf"] = {"Ustrd": [entry.remittance]}
    if entry.return_reason is not None:
        transaction["RtrInf"] = {"Rsn": {"Cd": entry.return_reason}}
    return {
        "Amt": amount,
        "CdtDbtInd": _indicator(entry.credit),
        "Sts": {"Cd": BOOKED},
        "BookgDt": {"Dt": entry.booked_on.isoformat()},
        "ValDt": {"Dt": entry.booked_on.isoformat()},
        "AcctSvcrRef": entry.reference,
        "BkTxCd": code,
        "NtryDtls": [{"TxDtls": [transaction]}],
    }


def _balance(code: str, amount: int, currency: str, day: datetime.date) -> dict[str, Any]:
    return {
        "Tp": {"CdOrPrtry": {"Cd": code}},
        "Amt": {"@Ccy": currency, "$": to_decimal(abs(amount), currency)},
        "CdtDbtInd": _indicator(amount >= 0),
        "Dt": {"Dt": day.isoformat()},
    }


def _entries(report: Report) -> dict[str, Any]:
    """The `Ntry` elements, left out when there are none (an empty list would be one empty element)."""
    return {"Ntry": [_entry(entry) for entry in report.entries]} if report.entries else {}


def build_notification(report: Report) -> bytes:
    notification = {
        "Id": report.message_id,
        "CreDtTm": _timestamp(report.created_at),
        "Acct": {"Id": {"IBAN": report.iban}},
    } | _entries(report)
    header = {"MsgId": report.message_id, "CreDtTm": _timestamp(report.created_at)}
    return encode(Message.CAMT_054, {"BkToCstmrDbtCdtNtfctn": {"GrpHdr": header, "Ntfctn": [notification]}})


def build_statement(report: Report, currency: str) -> bytes:
    if report.day is None or report.opening_balance is None or report.closing_balance is None:
        raise ValueError("a statement has a day and its opening and closing balances")
    statement = {
        "Id": report.message_id,
        "CreDtTm": _timestamp(report.created_at),
        "FrToDt": {
            "FrDtTm": f"{report.day.isoformat()}T00:00:00Z",
            "ToDtTm": f"{report.day.isoformat()}T23:59:59Z",
        },
        "Acct": {"Id": {"IBAN": report.iban}, "Ccy": currency},
        "Bal": [
            _balance("OPBD", report.opening_balance, currency, report.day),
            _balance("CLBD", report.closing_balance, currency, report.day),
        ],
    } | _entries(report)
    header = {"MsgId": report.message_id, "CreDtTm": _timestamp(report.created_at)}
    return encode(Message.CAMT_053, {"BkToCstmrStmt": {"GrpHdr": header, "Stmt": [statement]}})


def _signed(balance: dict[str, Any]) -> int:
    amount = from_decimal(balance["Amt"]["$"], balance["Amt"]["@Ccy"])
    return amount if balance["CdtDbtInd"] == "CRDT" else -amount


def _parsed_entry(entry: dict[str, Any]) -> Entry:
    if entry["Sts"].get("Cd") != BOOKED:
        raise InvalidMessage("only booked entries are reported here")
    details = [tx for detail in entry.get("NtryDtls", []) for tx in detail.get("TxDtls", [])]
    if len(details) != 1:
        raise InvalidMessage("an entry here books exactly one transaction")
    transaction = details[0]
    references = transaction.get("Refs", {})
    remittance = transaction.get("RmtInf", {}).get("Ustrd", [])
    booked = entry.get("BookgDt", {}).get("Dt")
    if booked is None:
        raise InvalidMessage("a booked entry has a booking date")
    currency = entry["Amt"]["@Ccy"]
    return Entry(
        reference=entry.get("AcctSvcrRef") or references.get("AcctSvcrRef", ""),
        credit=entry["CdtDbtInd"] == "CRDT",
        amount=from_decimal(entry["Amt"]["$"], currency),
        currency=currency,
        booked_on=datetime.date.fromisoformat(booked),
        end_to_end_id=references.get("EndToEndId"),
        remittance=remittance[0] if remittance else None,
        return_reason=transaction.get("RtrInf", {}).get("Rsn", {}).get("Cd"),
    )


def _only(items: list[dict[str, Any]], what: str) -> dict[str, Any]:
    if len(items) != 1:
        raise InvalidMessage(f"a report here carries exactly one {what}")
    return items[0]


def parse_notification(body: bytes) -> Report:
    document = decode(Message.CAMT_054, body)["BkToCstmrDbtCdtNtfctn"]
    notification = _only(document["Ntfctn"], "notification")
    return Report(
        message_id=document["GrpHdr"]["MsgId"],
        created_at=datetime.datetime.fromisoformat(document["GrpHdr"]["CreDtTm"]),
        iban=notification["Acct"]["Id"].get("IBAN", ""),
        entries=tuple(_parsed_entry(entry) for entry in notification.get("Ntry", [])),
    )


def parse_statement(body: bytes) -> Report:
    document = decode(Message.CAMT_053, body)["BkToCstmrStmt"]
    statement = _only(document["Stmt"], "statement")
    balances = {balance["Tp"]["CdOrPrtry"].get("Cd"): balance for balance in statement["Bal"]}
    if "OPBD" not in balances or "CLBD" not in balances:
        raise InvalidMessage("a statement carries its opening and closing booked balances")
    return Report(
        message_id=document["GrpHdr"]["MsgId"],
        created_at=datetime.datetime.fromisoformat(document["GrpHdr"]["CreDtTm"]),
        iban=statement["Acct"]["Id"].get("IBAN", ""),
        entries=tuple(_parsed_entry(entry) for entry in statement.get("Ntry", [])),
        opening_balance=_signed(balances["OPBD"]),
        closing_balance=_signed(balances["CLBD"]),
        day=datetime.date.fromisoformat(balances["CLBD"]["Dt"]["Dt"]),
    )
