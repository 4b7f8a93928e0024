"""Privacy (risk/privacy/schema.py): personal details apart from payment data, pseudonymised analytics
events, and the record of each export and erasure request.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "privacy_personal_details",
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("residence_country", sa.String(2), nullable=True),
        sa.Column("document_kind", sa.String(16), nullable=True),
        sa.Column("document_number", sa.String(64), nullable=True),
        sa.Column("document_country", sa.String(2), nullable=True),
        sa.Column("document_collected_at", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "document_kind IS NULL OR document_kind IN ('passport', 'id_card', 'driving_licence')",
            name=op.f("ck_privacy_personal_details_document_kind_known"),
        ),
        sa.PrimaryKeyConstraint("subject_id", name="pk_privacy_personal_details"),
    )
    op.create_table(
        "privacy_analytics_events",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("mcc", sa.String(4), nullable=True),
        sa.Column("currency", sa.String(8), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('login', 'payment', 'decision')", name=op.f("ck_privacy_analytics_events_kind_known")
        ),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_analytics_events"),
    )
    op.create_index("ix_privacy_analytics_events_day", "privacy_analytics_events", ["day"])
    op.create_index("ix_privacy_analytics_events_pseudonym", "privacy_analytics_events", ["pseudonym"])
    op.create_table(
        "privacy_exports",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.String(80), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_exports"),
    )
    op.create_index("ix_privacy_exports_subject_id", "privacy_exports", ["subject_id"])
    op.create_table(
        "privacy_erasures",
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("requested_by", sa.String(80), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("erased", sa.Text(), nullable=False),
        sa.Column("kept", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", name="pk_privacy_erasures"),
        sa.UniqueConstraint("id", name="uq_privacy_erasures_id"),
    )


def downgrade() -> None:
    op.drop_table("privacy_erasures")
    op.drop_index("ix_privacy_exports_subject_id", table_name="privacy_exports")
    op.drop_table("privacy_exports")
    op.drop_index("ix_privacy_analytics_events_pseudonym", table_name="privacy_analytics_events")
    op.drop_index("ix_privacy_analytics_events_day", table_name="privacy_analytics_events")
    op.drop_table("privacy_analytics_events")
    op.drop_table("privacy_personal_details")
