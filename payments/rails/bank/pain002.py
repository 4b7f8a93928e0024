"""pain.002.001.12, customer payment status report: the bank's verdict on one pain.001.

The bank answers every initiation with one at once (accepted for processing, or rejected with the reason),
and sends another as a webhook when the verdict changes (settled; or rejected at execution, e.g. for
insufficient funds). A rejection of the whole message (a file the schema refuses) carries only the group
status; a transaction's status names its EndToEndId and echoes our remittance text.
"""

import datetime
import enum
from dataclasses import dataclass
from typing import Any

from payments.rails.bank.amounts import from_decimal, to_decimal
from payments.rails.bank.xsd import InvalidMessage, Message, decode, encode


class TransferStatus(enum.StrEnum):
    """The ISO 20022 ExternalPaymentTransactionStatus1Code values this bank reports."""

    ACCEPTED_TECHNICAL = "ACTC"
    """Well-formed and the accounts exist: queued for execution."""
    ACCEPTED_SETTLEMENT_COMPLETED = "ACSC"
    """Executed: the debtor's account was debited."""
    REJECTED = "RJCT"
    """Refused; the reason code says why."""


@dataclass(frozen=True, slots=True)
class StatusReport:
    message_id: str
    created_at: datetime.datetime
    original_message_id: str
    status: TransferStatus
    reason: str | None = None
    end_to_end_id: str | None = None
    remittance: str | None = None
    amount: int | None = None
    currency: str | None = None

    @property
    def rejected(self) -> bool:
        return self.status is TransferStatus.REJECTED


def _timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _with_reason(fields: dict[str, Any], reason: str | None) -> dict[str, Any]:
    return fields if reason is None else fields | {"StsRsnInf": [{"Rsn": {"Cd": reason}}]}


def build(report: StatusReport) -> bytes:
    group: dict[str, Any] = {"OrgnlMsgId": report.original_message_id, "OrgnlMsgNmId": Message.PAIN_001.value}
    content: dict[str, Any] = {
        "GrpHdr": {"MsgId": report.message_id, "CreDtTm": _timestamp(report.created_at)},
        "OrgnlGrpInfAndSts": group,
    }
    if report.end_to_end_id is None:
        content["OrgnlGrpInfAndSts"] = _with_reason(group | {"GrpSts": report.status.value}, report.reason)
    else:
        reference: dict[str, Any] = {}
        if report.amount is not None and report.currency is not None:
            amount = to_decimal(report.amount, report.currency)
            reference["Amt"] = {"InstdAmt": {"@Ccy": report.currency, "$": amount}}
        if report.remittance:
            reference["RmtInf"] = {"Ustrd": [report.remittance]}
        content["OrgnlPmtInfAndSts"] = [
            {
                "OrgnlPmtInfId": report.original_message_id,
                "TxInfAndSts": [
                    _with_reason(
                        {
                            "OrgnlInstrId": report.original_message_id,
                            "OrgnlEndToEndId": report.end_to_end_id,
                            "TxSts": report.status.value,
                        },
                        report.reason,
                    )
                    | {"OrgnlTxRef": reference}
                ],
            }
        ]
    return encode(Message.PAIN_002, {"CstmrPmtStsRpt": content})


def _reason(holder: dict[str, Any]) -> str | None:
    for information in holder.get("StsRsnInf", []):
        code = information.get("Rsn", {}).get("Cd")
        if code is not None:
            return str(code)
    return None


def _status(code: str | None) -> TransferStatus:
    try:
        return TransferStatus(code or "")
    except ValueError as error:
        raise InvalidMessage(f"status {code!r} is none this rail acts on") from error


def parse(body: bytes) -> StatusReport:
    """The status of the one transfer (or the whole message) a pain.002 reports."""
    report = decode(Message.PAIN_002, body)["CstmrPmtStsRpt"]
    header, group = report["GrpHdr"], report["OrgnlGrpInfAndSts"]
    common = {
        "message_id": header["MsgId"],
        "created_at": datetime.datetime.fromisoformat(header["CreDtTm"]),
        "original_message_id": group["OrgnlMsgId"],
    }
    transactions = [tx for info in report.get("OrgnlPmtInfAndSts", []) for tx in info.get("TxInfAndSts", [])]
    if not transactions:
        return StatusReport(**common, status=_status(group.get("GrpSts")), reason=_reason(group))
    if len(transactions) != 1:
        raise InvalidMessage("a status report here is about exactly one transfer")
    transaction = transactions[0]
    reference = transaction.get("OrgnlTxRef", {})
    instructed = reference.get("Amt", {}).get("InstdAmt")
    remittance = reference.get("RmtInf", {}).get("Ustrd", [])
    return StatusReport(
        **common,
        status=_status(transaction.get("TxSts")),
        reason=_reason(transaction),
        end_to_end_id=transaction.get("OrgnlEndToEndId"),
        remittance=remittance[0] if remittance else None,
        amount=None if instructed is None else from_decimal(instructed["$"], instructed["@Ccy"]),
        currency=None if instructed is None else instructed["@Ccy"],
    )
