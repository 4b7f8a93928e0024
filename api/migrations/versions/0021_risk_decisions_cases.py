"""The risk engine's decisions, the review queue's cases and the risk audit log (risk/decisions/schema.py,
risk/cases/schema.py, risk/audit/schema.py), and the payment intents' risk columns: the paying customer, the
last decision, the engine's hold and the SCA exemption (payments/intents/schema.py).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk_decisions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=True),
        sa.Column("reference", sa.String(80), nullable=True),
        sa.Column("enforced", sa.Boolean(), nullable=False),
        sa.Column("inputs_digest", sa.String(64), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("rules_digest", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("shadow", sa.Text(), nullable=False),
        sa.Column("shadow_outcome", sa.String(16), nullable=False),
        sa.Column("factors", sa.Text(), nullable=False),
        sa.Column("fallback_factors", sa.Text(), nullable=False),
        sa.Column("exemption", sa.String(32), nullable=True),
        sa.Column("exemption_note", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_risk_decisions"),
    )
    op.create_index("ix_risk_decisions_subject", "risk_decisions", ["subject_id", "created_at"])
    op.create_index("ix_risk_decisions_created", "risk_decisions", ["created_at", "id"])
    op.create_index("ix_risk_decisions_reference", "risk_decisions", ["reference"])
    op.create_table(
        "risk_cases",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("subject_kind", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("decision_id", sa.String(40), nullable=True),
        sa.Column("opened_at", sa.BigInteger(), nullable=False),
        sa.Column("opened_by", sa.String(100), nullable=False),
        sa.Column("assignee", sa.String(100), nullable=True),
        sa.Column("claimed_at", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", sa.BigInteger(), nullable=True),
        sa.Column("resolved_by", sa.String(100), nullable=True),
        sa.Column("note", sa.String(2000), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'claimed', 'approved', 'rejected')", name="ck_risk_cases_status_known"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_risk_cases"),
    )
    op.create_index("ix_risk_cases_status", "risk_cases", ["status", "opened_at", "id"])
    op.create_index("ix_risk_cases_subject", "risk_cases", ["subject_kind", "subject_id"])
    op.create_table(
        "risk_audit_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_risk_audit_log"),
    )
    with op.batch_alter_table("payment_intents") as batch:
        batch.add_column(sa.Column("customer", sa.String(64), nullable=True))
        batch.add_column(sa.Column("risk_decision", sa.String(40), nullable=True))
        batch.add_column(sa.Column("risk_action", sa.Text(), nullable=True))
        batch.add_column(sa.Column("sca_exemption", sa.String(32), nullable=True))
    op.create_index("ix_payment_intents_customer", "payment_intents", ["customer", "merchant_id"])


def downgrade() -> None:
    op.drop_index("ix_payment_intents_customer", table_name="payment_intents")
    with op.batch_alter_table("payment_intents") as batch:
        for column in ("sca_exemption", "risk_action", "risk_decision", "customer"):
            batch.drop_column(column)
    op.drop_table("risk_audit_log")
    op.drop_table("risk_cases")
    op.drop_table("risk_decisions")
