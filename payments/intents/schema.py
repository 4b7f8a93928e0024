"""The payment intents' tables, in a MetaData of their own (migrated by 0009_payment_intents).

Every row carries the tenant (`merchant_id`, `livemode`) and every query filters on both. Amounts are BIGINT
minor units, bounded by CHECKs the database can verify in one row: what is captured, refunded or disputed
never exceeds what it comes out of. Times are ns since the epoch (the ledger's clock). The money itself is
in the ledger's tables; these rows say which transfers an intent made (their references are derived from
the intent's id and the step, see `payments.intents.postings`).
"""

from typing import Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from chain.sql_naming import SQL_NAMING_CONVENTION

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)


def _tenant() -> list[Column[object]]:
    return [Column("merchant_id", String(48), nullable=False), Column("livemode", Boolean, nullable=False)]


def _integers(*names: str) -> list[Column[int]]:
    """Amounts in minor units (and ns times): BIGINT, never NULL."""
    return [Column(name, BigInteger, nullable=False) for name in names]


payment_intents: Final = Table(
    "payment_intents",
    metadata,
    Column("id", String(64), primary_key=True),
    *_tenant(),
    Column("status", String(32), nullable=False),
    *_integers("amount"),
    Column("currency", String(3), nullable=False),
    Column("capture_method", String(16), nullable=False),
    Column("rail", String(16), nullable=False),
    Column("payment_method", String(128), nullable=True),
    *_integers("amount_capturable", "amount_received", "amount_refunded", "amount_disputed", "amount_fee"),
    Column("fee_bps", Integer, nullable=False),
    *_integers("fee_fixed"),
    Column("attempt", Integer, nullable=False),
    Column("next_action_url", String(2048), nullable=True),
    Column("last_payment_error", String(255), nullable=True),
    Column("cancellation_reason", String(32), nullable=True),
    *_integers("created_at", "updated_at"),
    # The risk engine's part (migrated by 0019_risk_decisions_cases): `payments.intents.model.PaymentIntent`.
    Column("customer", String(64), nullable=True),
    Column("risk_decision", String(40), nullable=True),
    Column("risk_action", Text, nullable=True),
    Column("sca_exemption", String(32), nullable=True),
    CheckConstraint("amount > 0", name="amount_positive"),
    CheckConstraint(
        "amount_capturable >= 0 AND amount_capturable <= amount AND amount_received >= 0"
        " AND amount_received <= amount AND amount_fee >= 0 AND amount_fee <= amount_received",
        name="amounts_within_amount",
    ),
    CheckConstraint(
        "amount_refunded >= 0 AND amount_disputed >= 0"
        " AND amount_refunded + amount_disputed <= amount_received",
        name="refunds_within_received",
    ),
    Index("ix_payment_intents_tenant", "merchant_id", "livemode", "created_at"),
    Index("ix_payment_intents_customer", "customer", "merchant_id"),
)

payment_intent_shares: Final = Table(
    "payment_intent_shares",
    metadata,
    Column("payment_intent_id", String(64), ForeignKey("payment_intents.id"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    *_tenant(),
    Column("destination", String(48), nullable=False),
    *_integers("amount", "captured", "fee", "refunded", "disputed"),
    CheckConstraint("amount > 0", name="amount_positive"),
    CheckConstraint(
        "captured >= 0 AND captured <= amount AND fee >= 0 AND fee <= captured AND refunded >= 0"
        " AND disputed >= 0 AND refunded + disputed <= captured",
        name="amounts_within_share",
    ),
)


def _intent_record(name: str, *columns: Column[object]) -> Table:
    """A record of one event of an intent (a refund, a dispute), owned by the intent's tenant."""
    return Table(
        name,
        metadata,
        Column("id", String(64), primary_key=True),
        Column("payment_intent_id", String(64), ForeignKey("payment_intents.id"), nullable=False),
        *_tenant(),
        *_integers("amount"),
        Column("status", String(16), nullable=False),
        *_integers("created_at"),
        *columns,
        CheckConstraint("amount > 0", name="amount_positive"),
        Index(f"ix_{name}_intent", "merchant_id", "livemode", "payment_intent_id"),
    )


payment_refunds: Final = _intent_record("payment_refunds", Column("reason", String(32), nullable=True))
payment_disputes: Final = _intent_record(
    "payment_disputes",
    Column("reason", String(64), nullable=False),
    Column("closed_at", BigInteger, nullable=True),
    Column("evidence", Text, nullable=False, server_default="{}"),
)
"""A dispute's `evidence`: the merchant's text fields as a JSON object (migrated by 0016_dispute_evidence)."""
