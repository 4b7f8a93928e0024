"""Merchant category codes (payments/merchants/schema.py): `merchants.mcc`, the ISO 18245 category the risk
rules read when a customer pays the merchant. Nullable: merchants onboarded before it have none until an
operator sets it, and a payment to a merchant without one matches no category rule.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("merchants") as batch:
        batch.add_column(sa.Column("mcc", sa.String(length=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("merchants") as batch:
        batch.drop_column("mcc")
