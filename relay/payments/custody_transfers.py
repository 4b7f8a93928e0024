"""Sending one custody-signed treasury transfer exactly once, across crashes: the path every payout out of
the treasury takes (stablecoin refunds, `relay.payments.payouts`; exchange withdrawals,
`relay.settlement.withdrawals`).

The caller stores each step before the next is taken (`Steps`): the transfer's treasury nonce and deadline
before it is signed, the transaction hash once it is sent. On a rerun, a stored nonce that the treasury has
meanwhile consumed means an earlier run perhaps sent it and died before recording: the transaction that
consumed the nonce is found on-chain and taken as this transfer's if it pays the same recipient the same
amount; otherwise another transfer took the nonce and a new one is chosen. The custody sign request's
Idempotency-Key names the transfer and its nonce, so signing again returns the same signature.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3.types import FilterParams

from chain.intents import CustodyTransfer
from chain.treasury import OnchainSignature, Treasury

DEADLINE_SECONDS = 3_600


class TransferSigner(Protocol):
    """What signs a transfer: `payments.rails.stablecoin.custody_signer.CustodySigner` (the API over HTTP)."""

    def sign(self, transfer: CustodyTransfer, request_key: str) -> OnchainSignature: ...


@dataclass(frozen=True)
class Planned:
    """A transfer to send: `key` names it (the sign request's key starts with it), the rest is what moves,
    with the nonce and deadline chosen so far (None: not yet)."""

    key: str
    to: str
    token: str
    amount: int
    custody_nonce: int | None
    deadline: int | None


@dataclass(frozen=True)
class Steps:
    """How the caller stores each step (each commits before returning)."""

    choose: Callable[[int | None, int | None], None]
    """Store the (nonce, deadline) chosen, or (None, None) to forget one another transfer took."""
    sent: Callable[[str], None]
    """Store the hash of the transaction that carries the transfer."""


@dataclass
class CustodyTransfers:
    """Signs (through `signer`) and sends (from `relayer`: it only pays gas) transfers out of `treasury`."""

    treasury: Treasury
    signer: TransferSigner
    relayer: LocalAccount
    confirmations: int = 2

    def send(self, planned: Planned, steps: Steps) -> None:
        """Choose (or keep) the nonce, sign, send, record: or record the earlier send that landed."""
        nonce, deadline = planned.custody_nonce, planned.deadline
        if nonce is not None and self.treasury.custody_nonce(planned.token) > nonce:
            earlier = self.earlier_transaction(planned)
            if earlier is not None:
                steps.sent(earlier)
                return
            steps.choose(None, None)  # another transfer took the nonce
            nonce = deadline = None
        if nonce is None or deadline is None:
            nonce = self.treasury.custody_nonce(planned.token)
            deadline = int(self.treasury.w3.eth.get_block("latest")["timestamp"]) + DEADLINE_SECONDS
            steps.choose(nonce, deadline)
        transfer = CustodyTransfer(
            to=planned.to, token=planned.token, amount=planned.amount, nonce=nonce, deadline=deadline
        )
        signature = self.signer.sign(transfer, f"{planned.key}:{transfer.nonce}")
        receipt = self.treasury.submit_with_custody(self.relayer, transfer, signature)
        steps.sent("0x" + bytes(receipt["transactionHash"]).hex())

    def earlier_transaction(self, planned: Planned) -> str | None:
        """The transaction that executed this transfer, if one did (its nonce is consumed)."""
        event = self.treasury.contract.events.CustodyTransferred()
        params: FilterParams = {
            "address": self.treasury.address,
            "fromBlock": 0,
            "toBlock": "latest",
            "topics": [event.topic, "0x" + bytes(HexBytes(planned.token)).rjust(32, b"\0").hex()],
        }
        for log_entry in self.treasury.w3.eth.get_logs(params):
            if int(event.process_log(log_entry)["args"]["nonce"]) != planned.custody_nonce:
                continue
            sent = self.treasury.w3.eth.get_transaction(log_entry["transactionHash"])
            _, args = self.treasury.contract.decode_function_input(sent["input"])
            if (str(args["to"]).lower(), int(args["amount"])) == (planned.to.lower(), planned.amount):
                return "0x" + bytes(log_entry["transactionHash"]).hex()
        return None

    def confirmed(self, tx_hash: str) -> bool:
        """Whether the transaction made the transfer (not queued it) and is `confirmations` deep."""
        receipt = self.treasury.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
        head = int(self.treasury.w3.eth.block_number)
        transferred = any(event.event == "CustodyTransferred" for event in self.treasury.events(receipt))
        return transferred and head - int(receipt["blockNumber"]) >= self.confirmations
