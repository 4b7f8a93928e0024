"""The settlement anchorer's read position in the contract's `Voided` events (matching/settlement/schema.py):
kept beside the batches it voids, moved in the same transaction, so a restart reads on from it.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "settlement_cursor_blocks",
        sa.Column("cursor", sa.String(length=128), nullable=False),
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("cursor", "number", name=op.f("pk_settlement_cursor_blocks")),
    )


def downgrade() -> None:
    op.drop_table("settlement_cursor_blocks")
