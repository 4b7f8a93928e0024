"""An Anchor sign request's batch leaves, kept so every signing attempt sends them to the nodes again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("custody_sign_requests") as batch:
        batch.add_column(
            sa.Column(
                "anchor_leaves", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("custody_sign_requests") as batch:
        batch.drop_column("anchor_leaves")
