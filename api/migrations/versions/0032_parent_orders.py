"""Parent orders (api/routing/table.py): TWAP/VWAP parents and their slices, resumed after a restart.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "parent_orders",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("market", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("strategy", sa.String(length=4), nullable=False),
        sa.Column("qty_lots", sa.BigInteger(), nullable=False),
        sa.Column("limit_ticks", sa.BigInteger(), nullable=False),
        sa.Column("start_us", sa.BigInteger(), nullable=False),
        sa.Column("end_us", sa.BigInteger(), nullable=False),
        sa.Column("filled_lots", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'completed', 'canceled')", name=op.f("ck_parent_orders_status_known")
        ),
        sa.CheckConstraint("side IN ('buy', 'sell')", name=op.f("ck_parent_orders_side_known")),
        sa.CheckConstraint("strategy IN ('twap', 'vwap')", name=op.f("ck_parent_orders_strategy_known")),
        sa.CheckConstraint(
            "filled_lots >= 0 AND filled_lots <= qty_lots", name=op.f("ck_parent_orders_filled_within_qty")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_parent_orders_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parent_orders")),
    )
    op.create_index(op.f("ix_parent_orders_merchant_id"), "parent_orders", ["merchant_id", "livemode"])
    op.create_table(
        "parent_slices",
        sa.Column("parent_id", sa.BigInteger(), nullable=False),
        sa.Column("slice_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("due_us", sa.BigInteger(), nullable=False),
        sa.Column("qty_lots", sa.BigInteger(), nullable=False),
        sa.Column("filled_lots", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("legs", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('scheduled', 'executing', 'done', 'canceled')",
            name=op.f("ck_parent_slices_status_known"),
        ),
        sa.CheckConstraint(
            "filled_lots >= 0 AND filled_lots <= qty_lots", name=op.f("ck_parent_slices_filled_within_qty")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["parent_orders.id"], name=op.f("fk_parent_slices_parent_id_parent_orders")
        ),
        sa.PrimaryKeyConstraint("parent_id", "slice_index", name=op.f("pk_parent_slices")),
    )
    op.create_index(op.f("ix_parent_slices_due_us"), "parent_slices", ["due_us"])


def downgrade() -> None:
    op.drop_index(op.f("ix_parent_slices_due_us"), table_name="parent_slices")
    op.drop_table("parent_slices")
    op.drop_index(op.f("ix_parent_orders_merchant_id"), table_name="parent_orders")
    op.drop_table("parent_orders")
