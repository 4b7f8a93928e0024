"""Option settlements (matching/options_market/records.py): each series' fixed expiry price and completion.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "option_settlements",
        sa.Column("market", sa.String(length=48), nullable=False),
        sa.Column("price_numerator", sa.String(length=80), nullable=False),
        sa.Column("price_denominator", sa.String(length=80), nullable=False),
        sa.Column("per_contract", sa.BigInteger(), nullable=False),
        sa.Column("fixed_at_us", sa.BigInteger(), nullable=False),
        sa.Column("settled_at_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("market", name=op.f("pk_option_settlements")),
    )


def downgrade() -> None:
    op.drop_table("option_settlements")
