"""Sanctions screening and KYC tiers (risk/screening/schema.py, risk/kyc/schema.py): list versions, screened
items, screenings with reviewer decisions; subjects' current tiers and their changes; KYC checks asked of a
provider.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIERS_SQL = "('none', 'light', 'full')"


def upgrade() -> None:
    op.create_table(
        "screening_lists",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("first_used_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_screening_lists")),
    )
    op.create_table(
        "screening_items",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("latest_screening_id", sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "kind IN ('name', 'chain_address', 'iban')", name=op.f("ck_screening_items_kind_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_items")),
        sa.UniqueConstraint(
            "subject_id", "kind", "value", name=op.f("uq_screening_items_subject_id_kind_value")
        ),
    )
    op.create_table(
        "screenings",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("list_version", sa.String(length=64), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("hits", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("reviewer", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=512), nullable=True),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('clear', 'potential_match', 'match')", name=op.f("ck_screenings_outcome_known")
        ),
        sa.CheckConstraint(
            "decision IS NULL OR (outcome = 'potential_match' AND decision IN ('confirmed', 'false_positive')"
            " AND reviewer IS NOT NULL AND reason IS NOT NULL AND decided_at IS NOT NULL)",
            name=op.f("ck_screenings_decision_on_potential_match"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["screening_items.id"], name=op.f("fk_screenings_item_id_screening_items")
        ),
        sa.ForeignKeyConstraint(
            ["list_version"],
            ["screening_lists.version"],
            name=op.f("fk_screenings_list_version_screening_lists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screenings")),
    )
    op.create_index("ix_screenings_item_id", "screenings", ["item_id"])
    op.create_index("ix_screenings_subject_id", "screenings", ["subject_id"])
    op.create_table(
        "kyc_subject_tiers",
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("tier", sa.String(length=8), nullable=False),
        sa.Column("change_id", sa.String(length=32), nullable=True),
        sa.Column("changed_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(f"tier IN {TIERS_SQL}", name=op.f("ck_kyc_subject_tiers_tier_known")),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_kyc_subject_tiers")),
    )
    op.create_table(
        "kyc_tier_changes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("tier", sa.String(length=8), nullable=False),
        sa.Column("previous_tier", sa.String(length=8), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            f"tier IN {TIERS_SQL} AND previous_tier IN {TIERS_SQL}",
            name=op.f("ck_kyc_tier_changes_tiers_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kyc_tier_changes")),
    )
    op.create_index("ix_kyc_tier_changes_subject_id", "kyc_tier_changes", ["subject_id"])
    op.create_table(
        "kyc_checks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_check_id", sa.String(length=64), nullable=True),
        sa.Column("tier", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("completed_at", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("tier IN ('light', 'full')", name=op.f("ck_kyc_checks_tier_grantable")),
        sa.CheckConstraint(
            "status IN ('pending', 'review', 'approved', 'rejected', 'failed')",
            name=op.f("ck_kyc_checks_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kyc_checks")),
        sa.UniqueConstraint(
            "provider", "provider_check_id", name=op.f("uq_kyc_checks_provider_provider_check_id")
        ),
    )
    op.create_index("ix_kyc_checks_subject_id", "kyc_checks", ["subject_id"])


def downgrade() -> None:
    op.drop_index("ix_kyc_checks_subject_id", table_name="kyc_checks")
    op.drop_table("kyc_checks")
    op.drop_index("ix_kyc_tier_changes_subject_id", table_name="kyc_tier_changes")
    op.drop_table("kyc_tier_changes")
    op.drop_table("kyc_subject_tiers")
    op.drop_index("ix_screenings_subject_id", table_name="screenings")
    op.drop_index("ix_screenings_item_id", table_name="screenings")
    op.drop_table("screenings")
    op.drop_table("screening_items")
    op.drop_table("screening_lists")
