"""The devices' tables, in a MetaData of their own (migrated by api/migrations/versions/0018_devices.py).

Times are BIGINT unix seconds (the devices' clock is in seconds). `subject_id` is the opaque id of the
identity a row belongs to, never a foreign key (identities live in another package). A device's key is its
SPKI DER; `key_sha256` is unique so one key binds to one device of one subject. A revoked device stays (its id
is in audit trails) with `revoked_at` set. The nonces' primary key (device, nonce) is what makes two
concurrent copies of one signed request succeed once; each nonce row lives until its timestamp leaves the
tolerance window. Fingerprints are keyed HMACs, never the attributes themselves; `last_sighting` numbers
a subject's sightings (1, 2, ...) so "the previous one" is exact even within one second.
"""

from typing import Final

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
)

from chain.sql_naming import SQL_NAMING_CONVENTION

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

devices: Final = Table(
    "risk_devices",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("subject_id", String(64), nullable=False),
    Column("name", String(100), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("key_type", String(16), nullable=False),
    Column("public_key", LargeBinary, nullable=False),
    Column("key_sha256", String(64), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
    Column("last_used_at", BigInteger, nullable=True),
    Column("revoked_at", BigInteger, nullable=True),
    Index("ix_risk_devices_subject_id", "subject_id"),
)

challenges: Final = Table(
    "risk_device_challenges",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("subject_id", String(64), nullable=False),
    Column("challenge", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger, nullable=True),
    Index("ix_risk_device_challenges_expires_at", "expires_at"),
)

nonces: Final = Table(
    "risk_device_nonces",
    metadata,
    Column("device_id", String(32), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("device_id", "nonce"),
    Index("ix_risk_device_nonces_expires_at", "expires_at"),
)

fingerprints: Final = Table(
    "risk_device_fingerprints",
    metadata,
    Column("subject_id", String(64), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("first_seen_at", BigInteger, nullable=False),
    Column("last_seen_at", BigInteger, nullable=False),
    Column("seen_count", Integer, nullable=False),
    Column("last_sighting", BigInteger, nullable=False),
    PrimaryKeyConstraint("subject_id", "fingerprint"),
    Index("ix_risk_device_fingerprints_subject_id_last_sighting", "subject_id", "last_sighting"),
)
