"""Perpetual records (matching/perp_market/records.py): every margin call, liquidation step, take-over,
deleveraging, insurance draw and funding payment of TPW-PERP, written with the step's ledger transfers.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "perp_records",
        sa.Column("market", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("n", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("trader", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("lots", sa.BigInteger(), nullable=True),
        sa.Column("price", sa.BigInteger(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("equity", sa.BigInteger(), nullable=True),
        sa.Column("maintenance", sa.BigInteger(), nullable=True),
        sa.Column("rate_ppm", sa.BigInteger(), nullable=True),
        sa.Column("counterparty", sa.BigInteger(), nullable=True),
        sa.Column("tier", sa.String(length=8), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("market", "step", "n", name=op.f("pk_perp_records")),
    )
    op.create_index(op.f("ix_perp_records_trader"), "perp_records", ["trader"])


def downgrade() -> None:
    op.drop_index(op.f("ix_perp_records_trader"), table_name="perp_records")
    op.drop_table("perp_records")
