"""The review queue's table (migrated by api/migrations/versions/0019_risk_decisions_cases.py). Times are
unix seconds; `reasons` is canonical JSON text."""

from typing import Final

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, MetaData, String, Table, Text

from chain.sql_naming import SQL_NAMING_CONVENTION

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

risk_cases: Final = Table(
    "risk_cases",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("subject_kind", String(20), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("status", String(12), nullable=False),
    Column("reasons", Text, nullable=False),
    Column("decision_id", String(40), nullable=True),
    Column("opened_at", BigInteger, nullable=False),
    Column("opened_by", String(100), nullable=False),
    Column("assignee", String(100), nullable=True),
    Column("claimed_at", BigInteger, nullable=True),
    Column("resolved_at", BigInteger, nullable=True),
    Column("resolved_by", String(100), nullable=True),
    Column("note", String(2000), nullable=True),
    CheckConstraint("status IN ('open', 'claimed', 'approved', 'rejected')", name="status_known"),
    Index("ix_risk_cases_status", "status", "opened_at", "id"),
    Index("ix_risk_cases_subject", "subject_kind", "subject_id"),
)
