"""Bank refunds held by the sanctions screening (payments/rails/bank/holds.py): `bank_refund_holds`, one row
per held refund with the rail request it was asked, so a round can re-screen it and send it once cleared.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_refund_holds",
        sa.Column("refund_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("screening_id", sa.String(length=40), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("held_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("refund_id", name=op.f("pk_bank_refund_holds")),
    )


def downgrade() -> None:
    op.drop_table("bank_refund_holds")
