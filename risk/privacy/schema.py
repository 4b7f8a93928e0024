"""The privacy tables, in a MetaData of their own (migrated by api/migrations/versions/0019_privacy.py).

`privacy_personal_details` is the one place a customer's name, email, phone, birth date and identity document
live, keyed by the opaque subject id: payment tables never carry them, so a payment record can be kept for the
law after its subject's details are erased. `privacy_analytics_events` holds no subject id, only a keyed
pseudonym and the id of the key that made it. `privacy_exports` and `privacy_erasures` are the record of each
request (kept: accountability, GDPR art. 5(2)); an erasure's primary key is its subject, so a subject is
erased once however often or concurrently it is asked. Times are BIGINT unix seconds.
"""

from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Index,
    MetaData,
    String,
    Table,
    Text,
)

from chain.sql_naming import SQL_NAMING_CONVENTION

SUBJECT_ID_MAX: Final = 64

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

personal_details: Final = Table(
    "privacy_personal_details",
    metadata,
    Column("subject_id", String(SUBJECT_ID_MAX), primary_key=True),
    Column("full_name", String(200), nullable=True),
    Column("email", String(254), nullable=True),
    Column("phone", String(32), nullable=True),
    Column("birth_date", Date, nullable=True),
    Column("residence_country", String(2), nullable=True),
    Column("document_kind", String(16), nullable=True),
    Column("document_number", String(64), nullable=True),
    Column("document_country", String(2), nullable=True),
    Column("document_collected_at", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    CheckConstraint(
        "document_kind IS NULL OR document_kind IN ('passport', 'id_card', 'driving_licence')",
        name="document_kind_known",
    ),
)
"""A subject's personal details (each optional); the document columns are cleared by retention."""

analytics_events: Final = Table(
    "privacy_analytics_events",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("pseudonym", String(64), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("day", Date, nullable=False),
    Column("country", String(2), nullable=True),
    Column("mcc", String(4), nullable=True),
    Column("currency", String(8), nullable=True),
    Column("amount", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    CheckConstraint("kind IN ('login', 'payment', 'decision')", name="kind_known"),
    Index("ix_privacy_analytics_events_day", "day"),
    Index("ix_privacy_analytics_events_pseudonym", "pseudonym"),
)
"""One analytics event: what happened, to whom as a keyed pseudonym, on which day, where, for how much."""

exports: Final = Table(
    "privacy_exports",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("subject_id", String(SUBJECT_ID_MAX), nullable=False),
    Column("requested_by", String(80), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_privacy_exports_subject_id", "subject_id"),
)

erasures: Final = Table(
    "privacy_erasures",
    metadata,
    Column("subject_id", String(SUBJECT_ID_MAX), primary_key=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("requested_by", String(80), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("erased", Text, nullable=False),
    Column("kept", Text, nullable=False),
)
"""An erasure done: `erased` maps each table to the rows deleted or cleared, `kept` each table kept to why."""
