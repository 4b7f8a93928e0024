"""The chain's own record of a day for reconciliation: every `Paid` event of the router and every payout of a
refund out of the treasury in the blocks whose timestamps fall on that UTC day, as `ExternalLine`s.

It reads the chain, not the watcher's table, so reconciliation compares the intents with what the chain
says independently of the process that moved them (a payment the watcher missed or recorded wrongly shows
up as a difference). Blocks at most `confirmations` deep are left out, as the watcher leaves them, so a
day is read once it is buried; the day's blocks are found by bisecting on block timestamps.

A refund is paid back as a custody transfer of the rail's token out of the treasury; the chain names it only
by (token, custody nonce), so the refund a line stands for is the one whose payout chose that nonce (our
`stablecoin_payouts`, through `payout_refunds`: the link, as a bank's EndToEndId is), while its amount is
the chain's. A treasury transfer of the token that no payout chose is not a refund and is left out.
"""

import datetime
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from web3 import Web3

from chain.payment_router import PaymentRouter, RouterPayment
from chain.treasury import CustodyTransferLog, Treasury
from payments.intents.model import RailKind
from payments.rails.stablecoin.config import StablecoinConfig
from payments.rails.stablecoin.instructions import NoIntentKey, intent_id_of
from payments.reconciliation.lines import ExternalLine, LineKind

SECONDS_PER_DAY = 86_400

PayoutRefunds = Callable[[str, bool, Collection[int]], Mapping[int, str]]
"""(token, livemode, custody nonces) -> the refund id whose payout chose each nonce; a nonce no payout chose
is absent (`payments.rails.stablecoin.payouts.refunds_by_custody_nonce` bound to the database)."""


@dataclass(frozen=True)
class PaidStatement:
    """A `StatementSource` of the router's `Paid` events; see the module docstring."""

    router: PaymentRouter
    config: StablecoinConfig
    treasury: Treasury
    payout_refunds: PayoutRefunds
    confirmations: int = 0

    @property
    def rail(self) -> RailKind:
        return RailKind.STABLECOIN

    def lines(self, day: datetime.date) -> Sequence[ExternalLine]:
        """The day's payments (reference = the intent id, the key in hex if it names none), then its refunds
        (reference = the refund id); external id = `<tx hash>:<log index>` of the `Paid` or
        `CustodyTransferred` event; amount in minor units of the config's currency (`minor_units`)."""
        w3 = self.router.w3
        start = int(datetime.datetime.combine(day, datetime.time(), datetime.UTC).timestamp())
        last_confirmed = int(w3.eth.block_number) - self.confirmations
        first = _first_block_at(w3, start, self.router.from_block, last_confirmed)
        last = _first_block_at(w3, start + SECONDS_PER_DAY, first, last_confirmed) - 1
        if last < first:
            return []
        payments = [
            line
            for payment in self.router.payments(first, last)
            if (line := self._line(payment, day)) is not None
        ]
        transfers = self.treasury.custody_transfers(self.config.token, first, last)
        refund_of = self.payout_refunds(
            self.config.token, self.config.livemode, {transfer.nonce for transfer in transfers}
        )
        return payments + refund_lines(transfers, refund_of, self.config, day)

    def _line(self, payment: RouterPayment, day: datetime.date) -> ExternalLine | None:
        amount = minor_units(payment.amount, self.config)
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


def refund_lines(
    transfers: Iterable[CustodyTransferLog],
    refund_of: Mapping[int, str],
    config: StablecoinConfig,
    day: datetime.date,
) -> list[ExternalLine]:
    """A refund line for each of the treasury's transfers of the config's token that a payout chose (its
    nonce is in `refund_of`), with the amount the chain moved, not the one the payout asked for: a payout
    that moved more or less than its refund must show as a difference."""
    lines = []
    for transfer in transfers:
        refund_id = refund_of.get(transfer.nonce)
        amount = minor_units(transfer.amount, config)
        if refund_id is None or transfer.token != config.token or amount <= 0:
            continue
        lines.append(
            ExternalLine(
                rail=RailKind.STABLECOIN,
                kind=LineKind.REFUND,
                reference=refund_id,
                external_id=f"{transfer.tx_hash}:{transfer.log_index}",
                amount=amount,
                currency=config.currency,
                booked_on=day,
                livemode=config.livemode,
            )
        )
    return lines


def minor_units(token_amount: int, config: StablecoinConfig) -> int:
    """`token_amount` base units in minor units of the config's currency, rounded UP when it is not a whole
    number of them: the watcher takes only exact amounts, so such a movement is in no intent or refund and
    must show as money the ledger lacks, never vanish (a fraction of a cent rounded down would be 0, no line
    at all)."""
    return -(-token_amount // config.scale)


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
