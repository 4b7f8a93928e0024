"""The identity tables, in a MetaData of their own (migrated by api/migrations/versions/0015_identity.py).

Times are whole seconds since the epoch (the identity clock). Nothing secret is stored in the clear: a refresh
token is kept as its SHA-256 (32 random bytes need no stretching), a passkey as its public key. Single use
is enforced in SQL: a nonce, a WebAuthn challenge or a refresh token is spent by an UPDATE that only matches
while `used_at` is NULL, so two racing requests cannot both spend it. Issuing a nonce or a challenge deletes
the expired ones, so anonymous requests for them cannot grow the tables without bound.
"""

from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from chain.sql_naming import SQL_NAMING_CONVENTION

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

identities: Final = Table(
    "identities",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    CheckConstraint("kind IN ('customer', 'operator')", name="kind_known"),
)

ethereum_addresses: Final = Table(
    "identity_ethereum_addresses",
    metadata,
    Column("address", String(42), primary_key=True),
    Column("subject_id", String(64), ForeignKey(identities.c.id), nullable=False, index=True),
    Column("created_at", BigInteger, nullable=False),
)
"""An Ethereum address (EIP-55 checksummed) that signs in as its identity; an address belongs to one."""

passkeys: Final = Table(
    "identity_passkeys",
    metadata,
    Column("credential_id", String(1400), primary_key=True),
    Column("subject_id", String(64), ForeignKey(identities.c.id), nullable=False, index=True),
    Column("public_key", LargeBinary, nullable=False),
    Column("sign_count", BigInteger, nullable=False),
    Column("transports", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("last_used_at", BigInteger, nullable=True),
)
"""A WebAuthn credential (id base64url, COSE public key, last sign count, transports as a JSON list)."""

siwe_nonces: Final = Table(
    "identity_siwe_nonces",
    metadata,
    Column("nonce", String(32), primary_key=True),
    Column("expires_at", BigInteger, nullable=False, index=True),
    Column("used_at", BigInteger, nullable=True),
)

challenges: Final = Table(
    "identity_webauthn_challenges",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("ceremony", String(16), nullable=False),
    Column("subject_id", String(64), nullable=True),
    Column("challenge", LargeBinary, nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
    Column("used_at", BigInteger, nullable=True),
    CheckConstraint("ceremony IN ('registration', 'authentication')", name="ceremony_known"),
)
"""A WebAuthn ceremony's challenge; a registration's is bound to the session's subject that asked for it."""

sessions: Final = Table(
    "identity_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("subject_id", String(64), ForeignKey(identities.c.id), nullable=False, index=True),
    Column("method", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
    Column("revoked_reason", String(32), nullable=True),
)
"""A session is the family of its refresh tokens: revoking it refuses every token it ever issued."""

refresh_tokens: Final = Table(
    "identity_refresh_tokens",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("session_id", String(64), ForeignKey(sessions.c.id), nullable=False, index=True),
    Column("issued_at", BigInteger, nullable=False),
    Column("used_at", BigInteger, nullable=True),
)
