"""The decisions' table (migrated by api/migrations/versions/0021_risk_decisions_cases.py; `device_verified`
by 0025_device_verified_decisions.py). Times are unix seconds (the engine's clock); JSON columns hold
canonical JSON text.

`device_verified` says whether `device_id` proved itself by a signature: only such a decision's device counts
as the customer's known device afterwards (a row written before the column existed holds a merchant's
unsigned claim, so it defaults to false)."""

from typing import Final

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Text, false

from chain.sql_naming import SQL_NAMING_CONVENTION

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

risk_decisions: Final = Table(
    "risk_decisions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("created_at", BigInteger, nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("device_id", String(64), nullable=True),
    Column("device_verified", Boolean, nullable=False, server_default=false()),
    Column("reference", String(80), nullable=True),
    Column("enforced", Boolean, nullable=False),
    Column("inputs_digest", String(64), nullable=False),
    Column("facts", Text, nullable=False),
    Column("rules_digest", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("score", Integer, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("shadow", Text, nullable=False),
    Column("shadow_outcome", String(16), nullable=False),
    Column("factors", Text, nullable=False),
    Column("fallback_factors", Text, nullable=False),
    Column("exemption", String(32), nullable=True),
    Column("exemption_note", String(500), nullable=False),
    Index("ix_risk_decisions_subject", "subject_id", "created_at"),
    Index("ix_risk_decisions_created", "created_at", "id"),
    Index("ix_risk_decisions_reference", "reference"),
)
