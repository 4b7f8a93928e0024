"""The withdrawal worker: pays traders' withdrawals out of the treasury as custody-signed transfers.

Each round (`run_once`), for every withdrawal not yet paid (`matching.settlement.withdrawals`), one at a
time (a token's custody nonces are one sequence): a `signing` one goes through the treasury's custody path
(`relay.payments.custody_transfers`, the path stablecoin refunds take: nonce stored, signed by the custody
group through the API, sent, hash stored, or an earlier send found on-chain); a `sent` one whose transfer is
`confirmations` deep is marked `paid`. Its ledger debit was made when it was requested, so nothing is
posted here. One the custody group's policy refuses (`SignRequestRefused`, final) is marked `refused` and its
amount returned to the trader (`record_refused`), and the round goes on to the next: a refusal never holds
up the withdrawals behind it. Any other failure ends the round, to be tried again in order.
"""

import logging
from dataclasses import dataclass

from sqlalchemy import Engine

from matching.settlement.withdrawals import (
    Withdrawal,
    choose_transfer,
    open_withdrawals,
    record_paid,
    record_refused,
    record_sent,
)
from payments.rails.custody_requests import SignRequestRefused
from relay.payments.custody_transfers import CustodyTransfers, Planned, Steps

log = logging.getLogger("relay.settlement.withdrawals")


@dataclass
class WithdrawalWorker:
    """Pays `engine`'s withdrawals of `livemode` through `transfers`; `tokens` maps a currency to its token
    address on the chain the treasury is on."""

    engine: Engine
    transfers: CustodyTransfers
    tokens: dict[str, str]
    livemode: bool

    def run_once(self) -> list[str]:
        """One pass over the open withdrawals; the ids paid in it."""
        paid = []
        for withdrawal in open_withdrawals(self.engine, self.livemode):
            if withdrawal.status == "signing":
                try:
                    self.transfers.send(self._planned(withdrawal), self._steps(withdrawal))
                except SignRequestRefused as refused:
                    if record_refused(self.engine, withdrawal, str(refused)):
                        log.warning("withdrawal %s refused and returned: %s", withdrawal.id, refused)
            elif withdrawal.tx_hash is not None and self.transfers.confirmed(withdrawal.tx_hash):
                record_paid(self.engine, withdrawal.id)
                log.info("withdrawal %s paid to %s in %s", withdrawal.id, withdrawal.to, withdrawal.tx_hash)
                paid.append(withdrawal.id)
        return paid

    def _planned(self, withdrawal: Withdrawal) -> Planned:
        return Planned(
            f"withdrawal:{withdrawal.id}",
            withdrawal.to,
            self.tokens[withdrawal.currency],
            withdrawal.token_amount,
            withdrawal.custody_nonce,
            withdrawal.deadline,
        )

    def _steps(self, withdrawal: Withdrawal) -> Steps:
        def choose(nonce: int | None, deadline: int | None) -> None:
            choose_transfer(self.engine, withdrawal.id, nonce, deadline)

        def sent(tx_hash: str) -> None:
            record_sent(self.engine, withdrawal.id, tx_hash)

        return Steps(choose, sent)
