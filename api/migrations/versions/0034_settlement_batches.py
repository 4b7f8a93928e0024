"""Settlement (matching/settlement/schema.py): settled trades, the batches anchored on-chain, withdrawals.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "settlement_batches",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("root", sa.String(length=66), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("anchor_seq", sa.BigInteger(), nullable=True),
        sa.Column("prev_root", sa.String(length=66), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("anchored_us", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('cut', 'signing', 'submitted', 'anchored')",
            name=op.f("ck_settlement_batches_status_known"),
        ),
        sa.CheckConstraint("count > 0", name=op.f("ck_settlement_batches_count_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_batches")),
    )
    op.create_table(
        "settlement_trades",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("venue", sa.SmallInteger(), nullable=False),
        sa.Column("market", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("trade_index", sa.Integer(), nullable=False),
        sa.Column("buyer", sa.BigInteger(), nullable=False),
        sa.Column("seller", sa.BigInteger(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("buyer_fee", sa.BigInteger(), nullable=False),
        sa.Column("seller_fee", sa.BigInteger(), nullable=False),
        sa.Column("recorded_us", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("leaf", sa.String(length=66), nullable=True),
        sa.CheckConstraint(
            "(batch_id IS NULL) = (position IS NULL) AND (batch_id IS NULL) = (leaf IS NULL)",
            name=op.f("ck_settlement_trades_batched_whole"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["settlement_batches.id"],
            name=op.f("fk_settlement_trades_batch_id_settlement_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_trades")),
    )
    op.create_index("ix_settlement_trades_batch", "settlement_trades", ["batch_id", "recorded_us"])
    op.create_table(
        "settlement_withdrawals",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("trader", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("token_amount", sa.String(length=78), nullable=False),
        sa.Column("to", sa.String(length=42), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("custody_nonce", sa.BigInteger(), nullable=True),
        sa.Column("deadline", sa.BigInteger(), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("paid_us", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('signing', 'sent', 'paid')", name=op.f("ck_settlement_withdrawals_status_known")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_settlement_withdrawals_amount_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_withdrawals")),
    )
    op.create_index(
        "ix_settlement_withdrawals_merchant", "settlement_withdrawals", ["merchant_id", "livemode"]
    )
    op.create_index("ix_settlement_withdrawals_status", "settlement_withdrawals", ["status", "created_us"])


def downgrade() -> None:
    op.drop_index("ix_settlement_withdrawals_status", table_name="settlement_withdrawals")
    op.drop_index("ix_settlement_withdrawals_merchant", table_name="settlement_withdrawals")
    op.drop_table("settlement_withdrawals")
    op.drop_index("ix_settlement_trades_batch", table_name="settlement_trades")
    op.drop_table("settlement_trades")
    op.drop_table("settlement_batches")
