"""Risk factors (risk/factors/schema.py): TOTP secrets (sealed), payment passwords (Argon2id), recovery codes
(SHA-256) and the lockout counters of each (subject, factor).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk_factor_totp",
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("sealed_secret", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("confirmed_at", sa.BigInteger(), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_risk_factor_totp")),
    )
    op.create_table(
        "risk_factor_payment_passwords",
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_risk_factor_payment_passwords")),
    )
    op.create_table(
        "risk_factor_recovery_codes",
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("subject_id", "code_hash", name=op.f("pk_risk_factor_recovery_codes")),
    )
    op.create_table(
        "risk_factor_lockouts",
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("factor", sa.String(32), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("lockouts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "factor", name=op.f("pk_risk_factor_lockouts")),
        sa.CheckConstraint(
            "failures >= 0 AND lockouts >= 0", name=op.f("ck_risk_factor_lockouts_counts_not_negative")
        ),
    )


def downgrade() -> None:
    op.drop_table("risk_factor_lockouts")
    op.drop_table("risk_factor_recovery_codes")
    op.drop_table("risk_factor_payment_passwords")
    op.drop_table("risk_factor_totp")
