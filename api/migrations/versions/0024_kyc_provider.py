"""KYC manual reviews (risk/kyc/schema.py): an operator's decision on a check the provider sent to review.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kyc_reviews",
        sa.Column("check_id", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=512), nullable=False),
        sa.Column("decided_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "decision IN ('approved', 'rejected')", name=op.f("ck_kyc_reviews_decision_known")
        ),
        sa.PrimaryKeyConstraint("check_id", name=op.f("pk_kyc_reviews")),
    )


def downgrade() -> None:
    op.drop_table("kyc_reviews")
