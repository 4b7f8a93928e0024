"""Factor proofs (risk/factors/schema.py `proofs`): the short-lived, single-use proofs that a customer just
verified a factor, issued by `/v1/factors/.../verify` and consumed by a step-up or a sensitive change.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk_factor_proofs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("factor", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("challenge", sa.String(128), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_factor_proofs")),
    )
    op.create_index("ix_risk_factor_proofs_expires_at", "risk_factor_proofs", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_risk_factor_proofs_expires_at", table_name="risk_factor_proofs")
    op.drop_table("risk_factor_proofs")
