"""Payment intents (payments/intents/schema.py): intents, their shares, refunds and disputes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant() -> list[sa.Column]:
    return [
        sa.Column("merchant_id", sa.String(length=48), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
    ]


def _integers(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "payment_intents",
        sa.Column("id", sa.String(length=64), nullable=False),
        *_tenant(),
        sa.Column("status", sa.String(length=32), nullable=False),
        *_integers("amount"),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("capture_method", sa.String(length=16), nullable=False),
        sa.Column("rail", sa.String(length=16), nullable=False),
        sa.Column("payment_method", sa.String(length=128), nullable=True),
        *_integers(
            "amount_capturable", "amount_received", "amount_refunded", "amount_disputed", "amount_fee"
        ),
        sa.Column("fee_bps", sa.Integer(), nullable=False),
        *_integers("fee_fixed"),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("next_action_url", sa.String(length=2048), nullable=True),
        sa.Column("last_payment_error", sa.String(length=255), nullable=True),
        sa.Column("cancellation_reason", sa.String(length=32), nullable=True),
        *_integers("created_at", "updated_at"),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_intents_amount_positive")),
        sa.CheckConstraint(
            "amount_capturable >= 0 AND amount_capturable <= amount AND amount_received >= 0"
            " AND amount_received <= amount AND amount_fee >= 0 AND amount_fee <= amount_received",
            name=op.f("ck_payment_intents_amounts_within_amount"),
        ),
        sa.CheckConstraint(
            "amount_refunded >= 0 AND amount_disputed >= 0"
            " AND amount_refunded + amount_disputed <= amount_received",
            name=op.f("ck_payment_intents_refunds_within_received"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_intents")),
    )
    op.create_index("ix_payment_intents_tenant", "payment_intents", ["merchant_id", "livemode", "created_at"])
    op.create_table(
        "payment_intent_shares",
        sa.Column("payment_intent_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        *_tenant(),
        sa.Column("destination", sa.String(length=48), nullable=False),
        *_integers("amount", "captured", "fee", "refunded", "disputed"),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_intent_shares_amount_positive")),
        sa.CheckConstraint(
            "captured >= 0 AND captured <= amount AND fee >= 0 AND fee <= captured AND refunded >= 0"
            " AND disputed >= 0 AND refunded + disputed <= captured",
            name=op.f("ck_payment_intent_shares_amounts_within_share"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_intent_id"],
            ["payment_intents.id"],
            name=op.f("fk_payment_intent_shares_payment_intent_id_payment_intents"),
        ),
        sa.PrimaryKeyConstraint("payment_intent_id", "position", name=op.f("pk_payment_intent_shares")),
    )
    for table, reason_length in (("payment_refunds", 32), ("payment_disputes", 64)):
        closed_at = (
            [sa.Column("closed_at", sa.BigInteger(), nullable=True)] if table == "payment_disputes" else []
        )
        op.create_table(
            table,
            sa.Column("id", sa.String(length=64), nullable=False),
            sa.Column("payment_intent_id", sa.String(length=64), nullable=False),
            *_tenant(),
            *_integers("amount"),
            sa.Column("status", sa.String(length=16), nullable=False),
            *_integers("created_at"),
            sa.Column("reason", sa.String(length=reason_length), nullable=table == "payment_refunds"),
            *closed_at,
            sa.CheckConstraint("amount > 0", name=op.f(f"ck_{table}_amount_positive")),
            sa.ForeignKeyConstraint(
                ["payment_intent_id"],
                ["payment_intents.id"],
                name=op.f(f"fk_{table}_payment_intent_id_payment_intents"),
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        op.create_index(f"ix_{table}_intent", table, ["merchant_id", "livemode", "payment_intent_id"])


def downgrade() -> None:
    for table in ("payment_disputes", "payment_refunds"):
        op.drop_index(f"ix_{table}_intent", table_name=table)
        op.drop_table(table)
    op.drop_table("payment_intent_shares")
    op.drop_index("ix_payment_intents_tenant", table_name="payment_intents")
    op.drop_table("payment_intents")
