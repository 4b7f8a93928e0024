"""Identities and sessions (risk/identity/schema.py): identities, their Ethereum addresses and passkeys, SIWE
nonces, WebAuthn challenges, sessions and their refresh tokens.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _subject_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["subject_id"], ["identities.id"], name=op.f(f"fk_{table}_subject_id_identities")
    )


def upgrade() -> None:
    op.create_table(
        "identities",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("kind IN ('customer', 'operator')", name=op.f("ck_identities_kind_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
    )
    op.create_table(
        "identity_ethereum_addresses",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        _subject_key("identity_ethereum_addresses"),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_identity_ethereum_addresses")),
    )
    op.create_index(
        op.f("ix_identity_ethereum_addresses_subject_id"), "identity_ethereum_addresses", ["subject_id"]
    )
    op.create_table(
        "identity_passkeys",
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("transports", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_used_at", sa.BigInteger(), nullable=True),
        _subject_key("identity_passkeys"),
        sa.PrimaryKeyConstraint("credential_id", name=op.f("pk_identity_passkeys")),
    )
    op.create_index(op.f("ix_identity_passkeys_subject_id"), "identity_passkeys", ["subject_id"])
    op.create_table(
        "identity_siwe_nonces",
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_identity_siwe_nonces")),
    )
    op.create_index(op.f("ix_identity_siwe_nonces_expires_at"), "identity_siwe_nonces", ["expires_at"])
    op.create_table(
        "identity_webauthn_challenges",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("ceremony", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("challenge", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "ceremony IN ('registration', 'authentication')",
            name=op.f("ck_identity_webauthn_challenges_ceremony_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_webauthn_challenges")),
    )
    op.create_index(
        op.f("ix_identity_webauthn_challenges_expires_at"), "identity_webauthn_challenges", ["expires_at"]
    )
    op.create_table(
        "identity_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        _subject_key("identity_sessions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_sessions")),
    )
    op.create_index(op.f("ix_identity_sessions_subject_id"), "identity_sessions", ["subject_id"])
    op.create_table(
        "identity_refresh_tokens",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["identity_sessions.id"],
            name=op.f("fk_identity_refresh_tokens_session_id_identity_sessions"),
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_identity_refresh_tokens")),
    )
    op.create_index(op.f("ix_identity_refresh_tokens_session_id"), "identity_refresh_tokens", ["session_id"])


def downgrade() -> None:
    op.drop_table("identity_refresh_tokens")
    op.drop_table("identity_sessions")
    op.drop_table("identity_webauthn_challenges")
    op.drop_table("identity_siwe_nonces")
    op.drop_table("identity_passkeys")
    op.drop_table("identity_ethereum_addresses")
    op.drop_table("identities")
