"""The card processor's settlement file of a day as reconciliation's `ExternalLine`s."""

import csv
import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass

from payments.intents.model import RailKind
from payments.rails.card.client import CardProcessorClient
from payments.reconciliation.lines import ExternalLine, LineKind

KINDS = {"capture": LineKind.PAYMENT, "refund": LineKind.REFUND}


def parse_settlement(text: str) -> list[ExternalLine]:
    return [
        ExternalLine(
            rail=RailKind.CARD,
            kind=KINDS[row["type"]],
            reference=row["merchant_reference"],
            external_id=row["transaction_id"],
            amount=int(row["amount"]),
            currency=row["currency"],
            booked_on=datetime.date.fromisoformat(row["booked_on"]),
            livemode=row["livemode"] == "true",
        )
        for row in csv.DictReader(io.StringIO(text))
    ]


@dataclass(frozen=True)
class CardSettlements:
    """A `StatementSource`: `GET /v1/settlements/<day>` of the processor."""

    client: CardProcessorClient

    @property
    def rail(self) -> RailKind:
        return RailKind.CARD

    def lines(self, day: datetime.date) -> Sequence[ExternalLine]:
        return parse_settlement(self.client.get_text(f"/v1/settlements/{day.isoformat()}"))
