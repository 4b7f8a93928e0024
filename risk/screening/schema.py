"""Screening's tables, in a MetaData of their own (migrated by api/migrations/versions/0017_screening_kyc.py).

`screening_lists` records each list version screened against (the SHA-256 of its files) and when it was
first used. `screening_items` holds every (subject, what was screened) ever screened: the known subjects a
list change re-screens; its `latest_screening_id` names the screening that stands for it (a plain column,
not a foreign key, to keep the two tables free of a cycle). `screenings` keeps every screening, never
updated but for a reviewer's decision on a potential match. Subjects are opaque ids (`risk.identity`'s),
not foreign keys. Times are BIGINT unix milliseconds.
"""

from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from chain.sql_naming import SQL_NAMING_CONVENTION

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

lists: Final = Table(
    "screening_lists",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("entries", Integer, nullable=False),
    Column("first_used_at", BigInteger, nullable=False),
)

items: Final = Table(
    "screening_items",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("subject_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("value", String(512), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("latest_screening_id", String(32), nullable=True),
    UniqueConstraint("subject_id", "kind", "value", name="uq_screening_items_subject_id_kind_value"),
    CheckConstraint("kind IN ('name', 'chain_address', 'iban')", name="kind_known"),
)

screenings: Final = Table(
    "screenings",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("item_id", String(32), ForeignKey("screening_items.id"), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("list_version", String(64), ForeignKey("screening_lists.version"), nullable=False),
    Column("trigger", String(16), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("hits", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("decision", String(16), nullable=True),
    Column("reviewer", String(64), nullable=True),
    Column("reason", String(512), nullable=True),
    Column("decided_at", BigInteger, nullable=True),
    CheckConstraint("outcome IN ('clear', 'potential_match', 'match')", name="outcome_known"),
    CheckConstraint(
        "decision IS NULL OR (outcome = 'potential_match' AND decision IN ('confirmed', 'false_positive')"
        " AND reviewer IS NOT NULL AND reason IS NOT NULL AND decided_at IS NOT NULL)",
        name="decision_on_potential_match",
    ),
    Index("ix_screenings_item_id", "item_id"),
    Index("ix_screenings_subject_id", "subject_id"),
)
