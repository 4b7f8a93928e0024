"""Dispute evidence (payments/intents/schema.py): the merchant's text fields on each dispute, a JSON object.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payment_disputes") as table:
        table.add_column(sa.Column("evidence", sa.Text(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("payment_disputes") as table:
        table.drop_column("evidence")
