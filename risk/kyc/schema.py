"""KYC's tables, in a MetaData of their own (migrated by api/migrations/versions/0017_screening_kyc.py).

`kyc_checks` records each check asked of a KYC provider: the tier it would grant and its status, never the
documents or personal data sent, which stay with the provider. `kyc_subject_tiers` holds each subject's
current tier (one row, updated in place, so concurrent changes of one subject serialise on it);
`kyc_tier_changes` every change ever made, with who made it and why, written in the same transaction.
`kyc_reviews` (migration 0019) holds an operator's decision on a check the provider sent to manual review.
Subjects are opaque ids (`risk.identity`'s), not foreign keys. Times are BIGINT unix milliseconds.
"""

from typing import Final

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, MetaData, String, Table, UniqueConstraint

from chain.sql_naming import SQL_NAMING_CONVENTION

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

TIERS_SQL: Final = "('none', 'light', 'full')"

subject_tiers: Final = Table(
    "kyc_subject_tiers",
    metadata,
    Column("subject_id", String(64), primary_key=True),
    Column("tier", String(8), nullable=False),
    Column("change_id", String(32), nullable=True),  # null until the first change
    Column("changed_at", BigInteger, nullable=False),
    CheckConstraint(f"tier IN {TIERS_SQL}", name="tier_known"),
)

tier_changes: Final = Table(
    "kyc_tier_changes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("subject_id", String(64), nullable=False),
    Column("tier", String(8), nullable=False),
    Column("previous_tier", String(8), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("reason", String(512), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    CheckConstraint(f"tier IN {TIERS_SQL} AND previous_tier IN {TIERS_SQL}", name="tiers_known"),
    Index("ix_kyc_tier_changes_subject_id", "subject_id"),
)

checks: Final = Table(
    "kyc_checks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("subject_id", String(64), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("provider_check_id", String(64), nullable=True),
    Column("tier", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reasons", String(512), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("completed_at", BigInteger, nullable=True),
    UniqueConstraint("provider", "provider_check_id", name="uq_kyc_checks_provider_provider_check_id"),
    CheckConstraint("tier IN ('light', 'full')", name="tier_grantable"),
    CheckConstraint("status IN ('pending', 'review', 'approved', 'rejected', 'failed')", name="status_known"),
    Index("ix_kyc_checks_subject_id", "subject_id"),
)

reviews: Final = Table(
    "kyc_reviews",
    metadata,
    Column("check_id", String(32), primary_key=True),  # one decision a check: the first reviewer's
    Column("decision", String(16), nullable=False),
    Column("reviewer", String(64), nullable=False),
    Column("reason", String(512), nullable=False),
    Column("decided_at", BigInteger, nullable=False),
    CheckConstraint("decision IN ('approved', 'rejected')", name="decision_known"),
)
