"""Risk before entry (risk/pretrade/schema.py): kill switches, the liquidations cool-downs run
from, and the step-up challenges of large derivative orders.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pretrade_kill_switches",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("engaged_by", sa.String(length=64), nullable=False),
        sa.Column("engaged_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('market', 'account')", name=op.f("ck_pretrade_kill_switches_kind_known")
        ),
        sa.PrimaryKeyConstraint("kind", "target", name=op.f("pk_pretrade_kill_switches")),
    )
    op.create_table(
        "pretrade_liquidations",
        sa.Column("account", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("market", sa.String(length=32), nullable=False),
        sa.Column("liquidated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account", "market", name=op.f("pk_pretrade_liquidations")),
    )
    op.create_table(
        "pretrade_step_ups",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account", sa.BigInteger(), nullable=False),
        sa.Column("market", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.Integer(), nullable=False),
        sa.Column("lots", sa.BigInteger(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("notional", sa.BigInteger(), nullable=False),
        sa.Column("factors", sa.String(length=200), nullable=False),
        sa.Column("decision_id", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'used')", name=op.f("ck_pretrade_step_ups_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pretrade_step_ups")),
    )


def downgrade() -> None:
    op.drop_table("pretrade_step_ups")
    op.drop_table("pretrade_liquidations")
    op.drop_table("pretrade_kill_switches")
