"""The settlement file of a day: every capture and refund the processor booked that (UTC) day, as CSV.

One row per booking, in the order booked: the processor's transaction id, `capture` or `refund`, the
merchant reference (the payment intent's id for a capture, the refund's id for a refund), the account and its
mode, the amount in minor units and the currency. This is what the platform reconciles its ledger against.
"""

import csv
import datetime
import io
from typing import Final

from sqlalchemy import Connection, literal_column, select

from payments.sandbox.card.schema import bookings

COLUMNS: Final = (
    "transaction_id",
    "type",
    "merchant_reference",
    "account",
    "livemode",
    "amount",
    "currency",
    "booked_on",
)


def settlement_csv(connection: Connection, day: datetime.date) -> str:
    rows = connection.execute(
        select(bookings).where(bookings.c.booked_on == day.isoformat()).order_by(literal_column("rowid"))
    ).mappings()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row["id"],
                row["kind"],
                row["merchant_reference"],
                row["account"],
                "true" if row["livemode"] else "false",
                row["amount"],
                row["currency"],
                row["booked_on"],
            ]
        )
    return out.getvalue()
