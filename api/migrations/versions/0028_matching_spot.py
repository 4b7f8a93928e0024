"""Spot orders (api/orders/table.py): the API's projection of the orders it placed on the matching engine.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spot_orders",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("market", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("price_ticks", sa.BigInteger(), nullable=False),
        sa.Column("qty_lots", sa.BigInteger(), nullable=False),
        sa.Column("filled_lots", sa.BigInteger(), nullable=False),
        sa.Column("time_in_force", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'partially_filled', 'filled', 'canceled', 'expired')",
            name=op.f("ck_spot_orders_status_known"),
        ),
        sa.CheckConstraint("side IN ('buy', 'sell')", name=op.f("ck_spot_orders_side_known")),
        sa.CheckConstraint(
            "filled_lots >= 0 AND filled_lots <= qty_lots", name=op.f("ck_spot_orders_filled_within_qty")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_spot_orders_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_orders")),
    )
    op.create_index(op.f("ix_spot_orders_merchant_id"), "spot_orders", ["merchant_id", "livemode"])


def downgrade() -> None:
    op.drop_index(op.f("ix_spot_orders_merchant_id"), table_name="spot_orders")
    op.drop_table("spot_orders")
