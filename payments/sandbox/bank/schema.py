"""The sandbox bank's own tables (its SQLite file, created at start; nothing of the API's).

Balances are integers in minor units. A transfer row is written with its answer when it is accepted or
rejected, and updated in the same transaction that books its entries and queues its webhooks when it settles,
so a bank killed at any moment comes back with every transfer either still to settle or settled and
notified, never half of it.
"""

from typing import Final

from sqlalchemy import BigInteger, Boolean, Column, Float, Integer, LargeBinary, MetaData, String, Table

metadata: Final = MetaData()

accounts: Final = Table(
    "accounts",
    metadata,
    Column("iban", String(34), primary_key=True),
    Column("name", String(70), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("balance", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
)

transfers: Final = Table(
    "transfers",
    metadata,
    Column("message_id", String(35), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("end_to_end_id", String(35), nullable=False),
    Column("remittance", String(140), nullable=False),
    Column("debtor_iban", String(34), nullable=False),
    Column("creditor_iban", String(34), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("reason", String(4)),
    Column("answer", LargeBinary, nullable=False),
    Column("settle_at", Float, nullable=False),
)

entries: Final = Table(
    "entries",
    metadata,
    Column("reference", String(35), primary_key=True),
    Column("iban", String(34), nullable=False, index=True),
    Column("message_id", String(35), nullable=False),
    Column("credit", Boolean, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("booked_on", String(10), nullable=False, index=True),
    Column("end_to_end_id", String(35), nullable=False),
    Column("remittance", String(140), nullable=False),
    Column("return_reason", String(4)),
    Column("position", Integer, nullable=False),
)


def webhook_outbox(metadata: MetaData) -> Table:
    """The outbox of signed webhooks, in `metadata` (the sandbox KYC provider keeps one of its own too):
    each body as sent on every attempt, its attempts, when the next is due and when it was delivered."""
    return Table(
        "webhooks",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("sequence", Integer, nullable=False),
        Column("body", LargeBinary, nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", Float, nullable=False, index=True),
        Column("delivered_at", Float),
    )


webhooks: Final = webhook_outbox(metadata)
