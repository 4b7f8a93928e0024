"""Proven devices on risk decisions (risk/decisions/schema.py `device_verified`): whether the decision's
device signed the request it decided on, so only a proven device becomes the customer's known device.

Rows written before this revision hold a merchant checkout's unsigned claim, so the column defaults to
false: no device becomes known by an old claim.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("risk_decisions") as batch:
        batch.add_column(
            sa.Column("device_verified", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("risk_decisions") as batch:
        batch.drop_column("device_verified")
