"""pain.001.001.09, customer credit transfer initiation: one transfer per message, the shape a PSD2 payment
initiation and a refund both take (only which account is the debtor differs).

The rail builds it (`build`), the bank reads it (`parse`); both go through the schema (`xsd`), and `parse`
refuses what a single-transfer initiation must not hold (several transfers, a control sum that does not add
up), as a bank's file check does.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from payments.rails.bank.amounts import from_decimal, to_decimal
from payments.rails.bank.xsd import InvalidMessage, Message, decode, encode

NOT_PROVIDED: Final = "NOTPROVIDED"
"""The EPC's agent id when the BIC is not given (IBAN-only SEPA)."""


@dataclass(frozen=True, slots=True)
class Party:
    """An account holder as the message names it: name, IBAN and (optionally) the bank's BIC."""

    name: str
    iban: str
    bic: str | None = None

    def agent(self) -> dict[str, Any]:
        institution = {"BICFI": self.bic} if self.bic else {"Othr": {"Id": NOT_PROVIDED}}
        return {"FinInstnId": institution}


@dataclass(frozen=True, slots=True)
class CreditTransfer:
    """One credit transfer of `amount` minor units of `currency` from `debtor` to `creditor`."""

    message_id: str
    created_at: datetime.datetime
    end_to_end_id: str
    remittance: str
    amount: int
    currency: str
    debtor: Party
    creditor: Party
    initiator: str

    @property
    def requested_on(self) -> datetime.date:
        return self.created_at.date()


def _timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(transfer: CreditTransfer) -> bytes:
    amount = to_decimal(transfer.amount, transfer.currency)
    content = {
        "CstmrCdtTrfInitn": {
            "GrpHdr": {
                "MsgId": transfer.message_id,
                "CreDtTm": _timestamp(transfer.created_at),
                "NbOfTxs": "1",
                "CtrlSum": amount,
                "InitgPty": {"Nm": transfer.initiator},
            },
            "PmtInf": [
                {
                    "PmtInfId": transfer.message_id,
                    "PmtMtd": "TRF",
                    "NbOfTxs": "1",
                    "CtrlSum": amount,
                    "ReqdExctnDt": {"Dt": transfer.requested_on.isoformat()},
                    "Dbtr": {"Nm": transfer.debtor.name},
                    "DbtrAcct": {"Id": {"IBAN": transfer.debtor.iban}},
                    "DbtrAgt": transfer.debtor.agent(),
                    "ChrgBr": "SLEV",
                    "CdtTrfTxInf": [
                        {
                            "PmtId": {"InstrId": transfer.message_id, "EndToEndId": transfer.end_to_end_id},
                            "Amt": {"InstdAmt": {"@Ccy": transfer.currency, "$": amount}},
                            "CdtrAgt": transfer.creditor.agent(),
                            "Cdtr": {"Nm": transfer.creditor.name},
                            "CdtrAcct": {"Id": {"IBAN": transfer.creditor.iban}},
                            "RmtInf": {"Ustrd": [transfer.remittance]},
                        }
                    ],
                }
            ],
        }
    }
    return encode(Message.PAIN_001, content)


def _party(name: dict[str, Any], account: dict[str, Any], agent: dict[str, Any] | None) -> Party:
    iban = account.get("Id", {}).get("IBAN")
    if iban is None:
        raise InvalidMessage("an account is identified by its IBAN")
    bic = (agent or {}).get("FinInstnId", {}).get("BICFI")
    return Party(name=name.get("Nm", ""), iban=iban, bic=bic)


def parse(body: bytes) -> CreditTransfer:
    """The one transfer of a pain.001; `InvalidMessage` for anything else."""
    initiation = decode(Message.PAIN_001, body)["CstmrCdtTrfInitn"]
    header = initiation["GrpHdr"]
    instructions = initiation["PmtInf"]
    if header["NbOfTxs"] != "1" or len(instructions) != 1 or len(instructions[0]["CdtTrfTxInf"]) != 1:
        raise InvalidMessage("a payment initiation here carries exactly one transfer")
    instruction = instructions[0]
    transaction = instruction["CdtTrfTxInf"][0]
    instructed = transaction["Amt"].get("InstdAmt")
    if instructed is None:
        raise InvalidMessage("the transfer's amount is an instructed amount")
    currency = instructed["@Ccy"]
    amount = from_decimal(instructed["$"], currency)
    control = header.get("CtrlSum")
    if control is not None and from_decimal(Decimal(control), currency) != amount:
        raise InvalidMessage("the control sum is not the transfer's amount")
    remittance = transaction.get("RmtInf", {}).get("Ustrd", [])
    return CreditTransfer(
        message_id=header["MsgId"],
        created_at=datetime.datetime.fromisoformat(header["CreDtTm"]),
        end_to_end_id=transaction["PmtId"]["EndToEndId"],
        remittance=remittance[0] if remittance else "",
        amount=amount,
        currency=currency,
        debtor=_party(instruction["Dbtr"], instruction["DbtrAcct"], instruction["DbtrAgt"]),
        creditor=_party(
            transaction.get("Cdtr", {}), transaction.get("CdtrAcct", {}), transaction.get("CdtrAgt")
        ),
        initiator=header["InitgPty"].get("Nm", ""),
    )
