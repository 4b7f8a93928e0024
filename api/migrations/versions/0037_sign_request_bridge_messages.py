"""A BridgeBatch sign request's messages, kept so every signing attempt sends them to the nodes again (each
node rebuilds the root from them and checks them on the chains it reads).

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("custody_sign_requests") as batch:
        batch.add_column(
            sa.Column(
                "bridge_messages", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("custody_sign_requests") as batch:
        batch.drop_column("bridge_messages")
