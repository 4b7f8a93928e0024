"""The chain's own record of a day for reconciliation: every `Paid` event of the router in the blocks whose
timestamps fall on that UTC day, as `ExternalLine`s.

It reads the chain, not the watcher's table, so reconciliation compares the intents with what the chain
says independently of the process that moved them (a payment the watcher missed or recorded wrongly shows
up as a difference). Blocks at most `confirmations` deep are left out, as the watcher leaves them, so a
day is read once it is buried; the day's blocks are found by bisecting on block timestamps.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from web3 import Web3

from chain.payment_router import PaymentRouter, RouterPayment
from payments.intents.model import RailKind
from payments.rails.stablecoin.config import StablecoinConfig
from payments.rails.stablecoin.instructions import NoIntentKey, intent_id_of
from payments.reconciliation.lines import ExternalLine, LineKind

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class PaidStatement:
    """A `StatementSource` of the router's `Paid` events; see the module docstring."""

    router: PaymentRouter
    config: StablecoinConfig
    confirmations: int = 0

    @property
    def rail(self) -> RailKind:
        return RailKind.STABLECOIN

    def lines(self, day: datetime.date) -> Sequence[ExternalLine]:
        """The day's payments: reference = the intent id (the key in hex if it names none), external id =
        `<tx hash>:<log index>`, amount in minor units of the config's currency, rounded UP when the token
        amount is not a whole number of them: the watcher takes only exact amounts, so such a payment is in
        no intent and must show as money the ledger lacks, never vanish (a fraction of a cent rounded down
        would be 0, no line at all)."""
        w3 = self.router.w3
        start = int(datetime.datetime.combine(day, datetime.time(), datetime.UTC).timestamp())
        last_confirmed = int(w3.eth.block_number) - self.confirmations
        first = _first_block_at(w3, start, self.router.from_block, last_confirmed)
        last = _first_block_at(w3, start + SECONDS_PER_DAY, first, last_confirmed) - 1
        if last < first:
            return []
        return [
            line
            for payment in self.router.payments(first, last)
            if (line := self._line(payment, day)) is not None
        ]

    def _line(self, payment: RouterPayment, day: datetime.date) -> ExternalLine | None:
        amount = -(-payment.amount // self.config.scale)
        if amount <= 0:
            return None
        try:
            reference = intent_id_of(payment.intent_key)
        except NoIntentKey:
            reference = "0x" + payment.intent_key.hex()
        return ExternalLine(
            rail=RailKind.STABLECOIN,
            kind=LineKind.PAYMENT,
            reference=reference,
            external_id=f"{payment.tx_hash}:{payment.log_index}",
            amount=amount,
            currency=self.config.currency,
            booked_on=day,
            livemode=self.config.livemode,
        )


def _first_block_at(w3: Web3, timestamp: int, low: int, high: int) -> int:
    """The first block in [`low`, `high`] with a timestamp at or after `timestamp`; `high + 1` if none."""
    end = high + 1
    while low < end:
        middle = (low + end) // 2
        if int(w3.eth.get_block(middle)["timestamp"]) < timestamp:
            low = middle + 1
        else:
            end = middle
    return low
