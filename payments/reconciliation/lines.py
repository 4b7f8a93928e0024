"""What a rail says happened on a day, in one shape for every rail, for reconciliation to match.

Each rail's client offers a `StatementSource` that reads its counterpart's own record of the day (the
bank's camt.053, the card processor's settlement file, `Paid` events on-chain) and turns each movement into
an `ExternalLine`. Reconciliation never sees XML, CSV or logs: a new rail only needs a source.
"""

import datetime
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from payments.intents.model import RailKind


class LineKind(enum.StrEnum):
    """Which way the money went at the rail: in for a payment, out for a refund (or a bank return)."""

    PAYMENT = "payment"
    REFUND = "refund"


@dataclass(frozen=True, slots=True)
class ExternalLine:
    """One movement as the rail booked it.

    `reference` is what the rail echoes of ours: the payment intent id for a payment, the refund id for a
    refund (the bank's EndToEndId, the card processor's merchant reference, the `Paid` event's intent id).
    `external_id` is the rail's own id of the movement (a bank entry reference, a card transaction id,
    `<tx hash>:<log index>`), unique per rail. `amount` is positive, in minor units of `currency`.
    """

    rail: RailKind
    kind: LineKind
    reference: str
    external_id: str
    amount: int
    currency: str
    booked_on: datetime.date
    livemode: bool

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError("an external line's amount is positive")


class StatementSource(Protocol):
    """A rail's own record of a day (UTC), read from its counterpart."""

    @property
    def rail(self) -> RailKind: ...

    def lines(self, day: datetime.date) -> Sequence[ExternalLine]: ...
