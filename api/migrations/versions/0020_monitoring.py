"""Monitoring (risk/monitoring/schema.py): alerts, the ledger holds of their freezes, the journal consumer's
checked transfers, subjects' last countries, and the hash-chained audit log.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitoring_alerts",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("check", sa.String(32), nullable=False),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("transfer_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(512), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decision_reason", sa.String(512), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_monitoring_alerts"),
    )
    op.create_index(
        "ix_monitoring_alerts_subject", "monitoring_alerts", ["subject_kind", "subject_id", "status"]
    )
    op.create_index("ix_monitoring_alerts_status", "monitoring_alerts", ["status", "created_at"])
    op.create_table(
        "monitoring_holds",
        sa.Column("transfer_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("alert_id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("released_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["monitoring_alerts.id"], name="fk_monitoring_holds_alert_id_monitoring_alerts"
        ),
        sa.PrimaryKeyConstraint("transfer_id", name="pk_monitoring_holds"),
    )
    op.create_index("ix_monitoring_holds_alert_id", "monitoring_holds", ["alert_id"])
    op.create_table(
        "monitoring_observed",
        sa.Column("transfer_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("transfer_id", name="pk_monitoring_observed"),
    )
    op.create_index("ix_monitoring_observed_timestamp", "monitoring_observed", ["timestamp"])
    op.create_table(
        "monitoring_sightings",
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject_kind", "subject_id", name="pk_monitoring_sightings"),
    )
    op.create_table(
        "monitoring_audit",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_monitoring_audit"),
    )


def downgrade() -> None:
    op.drop_table("monitoring_audit")
    op.drop_table("monitoring_sightings")
    op.drop_index("ix_monitoring_observed_timestamp", table_name="monitoring_observed")
    op.drop_table("monitoring_observed")
    op.drop_index("ix_monitoring_holds_alert_id", table_name="monitoring_holds")
    op.drop_table("monitoring_holds")
    op.drop_index("ix_monitoring_alerts_status", table_name="monitoring_alerts")
    op.drop_index("ix_monitoring_alerts_subject", table_name="monitoring_alerts")
    op.drop_table("monitoring_alerts")
