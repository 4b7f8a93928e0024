"""The payout worker: pays stablecoin refunds back to their payers as custody-signed treasury transfers.

Each round (`run_once`), for every payout not yet paid (`payments.rails.stablecoin.payouts.open_payouts`),
one at a time (a token's custody nonces are one sequence):
- `signing`: choose the transfer (the treasury's next custody nonce for the token, a deadline an hour
  ahead) and commit it, have the custody group sign it (`CustodySigner`), send it from the relayer
  (`Treasury.submit_with_custody`), commit its transaction hash (`sent`). A transfer chosen earlier whose
  nonce the treasury has meanwhile consumed was perhaps sent by a run that crashed before recording it: the
  transaction that consumed the nonce is found and taken as the payout's if it pays the same payer the
  same amount; otherwise another transfer took the nonce and a new one is chosen.
- `sent`: once the transaction is `confirmations` deep, complete the refund and mark the payout `paid`.
A refund whose payer address screens as sanctioned (`screening`) gets no payout: it is held, pending.
A transfer the treasury queues (over its daily limit) stays `sent` until its owners' time lock lets it run;
an operator sees it in the treasury's `TransferQueued` events.
"""

import logging
import time
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3.types import FilterParams

from chain.intents import CustodyTransfer
from chain.treasury import Treasury
from payments.intents.context import Payments
from payments.rails.stablecoin.config import StablecoinConfig
from payments.rails.stablecoin.custody_signer import CustodySigner
from payments.rails.stablecoin.payouts import (
    Payout,
    PayoutStatus,
    choose_transfer,
    complete,
    open_payouts,
    record_sent,
)
from risk.screening.screenings import Screener
from risk.screening.source import ListSource

log = logging.getLogger("relay.payments.payouts")

DEADLINE_SECONDS = 3_600


@dataclass
class PayoutWorker:
    """Pays the refunds of `config`'s stablecoin intents out of `treasury`, signed through `signer`."""

    payments: Payments
    config: StablecoinConfig
    treasury: Treasury
    signer: CustodySigner
    relayer: LocalAccount
    confirmations: int = 2
    screening: ListSource | None = None
    """The sanctions list each new payout's address is screened against (a hit holds the refund)."""

    def run_once(self) -> list[str]:
        """One pass over the open payouts; returns the refund ids paid in it."""
        paid = []
        screener = None
        if self.screening is not None:
            screener = Screener(
                self.payments.engine, self.screening.current(), clock=lambda: int(time.time() * 1000)
            )
        for payout in open_payouts(self.payments, self.config, screener):
            if payout.status is PayoutStatus.SIGNING:
                self._send(payout)
            elif payout.tx_hash is not None and self._confirmed(payout.tx_hash):
                complete(self.payments, payout)
                log.info("refund %s paid back to %s in %s", payout.refund_id, payout.to, payout.tx_hash)
                paid.append(payout.refund_id)
        return paid

    def _send(self, payout: Payout) -> None:
        if (
            payout.custody_nonce is not None
            and self.treasury.custody_nonce(payout.token) > payout.custody_nonce
        ):
            earlier = self._earlier_transaction(payout)
            if earlier is not None:
                record_sent(self.payments, payout, earlier)
                return
            payout = choose_transfer(self.payments, payout, None, None)  # another transfer took the nonce
        nonce, deadline = payout.custody_nonce, payout.deadline
        if nonce is None or deadline is None:
            nonce = self.treasury.custody_nonce(payout.token)
            deadline = int(self.treasury.w3.eth.get_block("latest")["timestamp"]) + DEADLINE_SECONDS
            payout = choose_transfer(self.payments, payout, nonce, deadline)
        transfer = CustodyTransfer(
            to=payout.to, token=payout.token, amount=payout.token_amount, nonce=nonce, deadline=deadline
        )
        signature = self.signer.sign(transfer, f"payout:{payout.refund_id}:{transfer.nonce}")
        receipt = self.treasury.submit_with_custody(self.relayer, transfer, signature)
        record_sent(self.payments, payout, "0x" + bytes(receipt["transactionHash"]).hex())

    def _earlier_transaction(self, payout: Payout) -> str | None:
        """The transaction that executed this payout's transfer, if one did (its nonce is consumed)."""
        event = self.treasury.contract.events.CustodyTransferred()
        params: FilterParams = {
            "address": self.treasury.address,
            "fromBlock": 0,
            "toBlock": "latest",
            "topics": [event.topic, "0x" + bytes(HexBytes(payout.token)).rjust(32, b"\0").hex()],
        }
        for log_entry in self.treasury.w3.eth.get_logs(params):
            if int(event.process_log(log_entry)["args"]["nonce"]) != payout.custody_nonce:
                continue
            sent = self.treasury.w3.eth.get_transaction(log_entry["transactionHash"])
            _, args = self.treasury.contract.decode_function_input(sent["input"])
            if (str(args["to"]).lower(), int(args["amount"])) == (payout.to.lower(), payout.token_amount):
                return "0x" + bytes(log_entry["transactionHash"]).hex()
        return None

    def _confirmed(self, tx_hash: str) -> bool:
        """Whether the transaction made the transfer (not queued it) and is `confirmations` deep."""
        receipt = self.treasury.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
        head = int(self.treasury.w3.eth.block_number)
        transferred = any(event.event == "CustodyTransferred" for event in self.treasury.events(receipt))
        return transferred and head - int(receipt["blockNumber"]) >= self.confirmations
