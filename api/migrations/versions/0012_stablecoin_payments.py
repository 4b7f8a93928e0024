"""The stablecoin rail's tables (payments/rails/stablecoin/schema.py): the `Paid` events the watcher read and
what became of each, the watcher's cursor, and the refunds' payouts.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stablecoin_payments",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("paid_at", sa.BigInteger(), nullable=False),
        sa.Column("intent_key", sa.String(length=66), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=64), nullable=True),
        sa.Column("merchant_id", sa.String(length=48), nullable=True),
        sa.Column("livemode", sa.Boolean(), nullable=True),
        sa.Column("payer", sa.String(length=42), nullable=False),
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("token_amount", sa.String(length=78), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "tx_hash", "log_index", name=op.f("pk_stablecoin_payments")),
    )
    op.create_index("ix_stablecoin_payments_intent", "stablecoin_payments", ["payment_intent_id"])
    op.create_table(
        "stablecoin_cursor_blocks",
        sa.Column("cursor", sa.String(length=128), nullable=False),
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("cursor", "number", name=op.f("pk_stablecoin_cursor_blocks")),
    )
    op.create_table(
        "stablecoin_payouts",
        sa.Column("refund_id", sa.String(length=64), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=64), nullable=False),
        sa.Column("merchant_id", sa.String(length=48), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("to", sa.String(length=42), nullable=False),
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("token_amount", sa.String(length=78), nullable=False),
        sa.Column("custody_nonce", sa.BigInteger(), nullable=True),
        sa.Column("deadline", sa.BigInteger(), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("refund_id", name=op.f("pk_stablecoin_payouts")),
    )


def downgrade() -> None:
    op.drop_table("stablecoin_payouts")
    op.drop_table("stablecoin_cursor_blocks")
    op.drop_index("ix_stablecoin_payments_intent", table_name="stablecoin_payments")
    op.drop_table("stablecoin_payments")
