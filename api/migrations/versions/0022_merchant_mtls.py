"""Revocable merchant certificates (payments/merchants/schema.py): `merchant_certificates.revoked_at`, set
when a merchant or an admin revokes a client certificate; the API refuses it from then on.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("merchant_certificates") as batch:
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("merchant_certificates") as batch:
        batch.drop_column("revoked_at")
