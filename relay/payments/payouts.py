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
- refused: the custody group's policy refuses the transfer (`SignRequestRefused`, final): the payout is
  marked `refused` and its refund failed, the amount back on the merchant's balance (`record_refused`), and
  the round goes on to the next payout; any other failure ends the round, to be tried again in order.
A refund whose payer address screens as sanctioned (`screening`) gets no payout: it is held, pending.
A transfer the treasury queues (over its daily limit) stays `sent` until its owners' time lock lets it run;
an operator sees it in the treasury's `TransferQueued` events.
"""

import logging
import time
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from chain.treasury import Treasury
from payments.intents.context import Payments
from payments.rails.custody_requests import SignRequestRefused
from payments.rails.stablecoin.config import StablecoinConfig
from payments.rails.stablecoin.payouts import (
    Payout,
    PayoutStatus,
    choose_transfer,
    complete,
    open_payouts,
    record_refused,
    record_sent,
)
from relay.payments.custody_transfers import CustodyTransfers, Planned, Steps, TransferSigner
from risk.screening.screenings import Screener
from risk.screening.source import ListSource

log = logging.getLogger("relay.payments.payouts")


@dataclass
class PayoutWorker:
    """Pays the refunds of `config`'s stablecoin intents out of `treasury`, signed through `signer`."""

    payments: Payments
    config: StablecoinConfig
    treasury: Treasury
    signer: TransferSigner
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
        transfers = CustodyTransfers(self.treasury, self.signer, self.relayer, self.confirmations)
        for payout in open_payouts(self.payments, self.config, screener):
            if payout.status is PayoutStatus.SIGNING:
                try:
                    transfers.send(_planned(payout), self._steps(payout))
                except SignRequestRefused as refused:
                    if record_refused(self.payments, payout, str(refused)):
                        log.warning(
                            "payout of refund %s refused, refund failed: %s", payout.refund_id, refused
                        )
            elif payout.tx_hash is not None and transfers.confirmed(payout.tx_hash):
                complete(self.payments, payout)
                log.info("refund %s paid back to %s in %s", payout.refund_id, payout.to, payout.tx_hash)
                paid.append(payout.refund_id)
        return paid

    def _steps(self, payout: Payout) -> Steps:
        def choose(nonce: int | None, deadline: int | None) -> None:
            choose_transfer(self.payments, payout, nonce, deadline)

        def sent(tx_hash: str) -> None:
            record_sent(self.payments, payout, tx_hash)

        return Steps(choose, sent)


def _planned(payout: Payout) -> Planned:
    return Planned(
        f"payout:{payout.refund_id}",
        payout.to,
        payout.token,
        payout.token_amount,
        payout.custody_nonce,
        payout.deadline,
    )
