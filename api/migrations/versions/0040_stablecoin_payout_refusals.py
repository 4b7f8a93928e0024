"""A stablecoin refund payout the custody group's policy refuses becomes `refused` (final), its refund failed
and the amount back on the merchant's balance; the nodes' reason is kept in `refusal` for the operator
(payments/rails/stablecoin/payouts.py). `status` has no check constraint, so only the column is new.

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stablecoin_payouts") as batch:
        batch.add_column(sa.Column("refusal", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stablecoin_payouts") as batch:
        batch.drop_column("refusal")
