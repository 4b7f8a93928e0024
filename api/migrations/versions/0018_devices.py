"""Bound devices (risk/devices/schema.py): devices and their keys, registration challenges, seen nonces, and
keyed device fingerprints per subject.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk_devices",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("key_type", sa.String(16), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("key_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_used_at", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_risk_devices"),
        sa.UniqueConstraint("key_sha256", name="uq_risk_devices_key_sha256"),
    )
    op.create_index("ix_risk_devices_subject_id", "risk_devices", ["subject_id"])
    op.create_table(
        "risk_device_challenges",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("challenge", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_risk_device_challenges"),
    )
    op.create_index("ix_risk_device_challenges_expires_at", "risk_device_challenges", ["expires_at"])
    op.create_table(
        "risk_device_nonces",
        sa.Column("device_id", sa.String(32), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "nonce", name="pk_risk_device_nonces"),
    )
    op.create_index("ix_risk_device_nonces_expires_at", "risk_device_nonces", ["expires_at"])
    op.create_table(
        "risk_device_fingerprints",
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("first_seen_at", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_at", sa.BigInteger(), nullable=False),
        sa.Column("seen_count", sa.Integer(), nullable=False),
        sa.Column("last_sighting", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "fingerprint", name="pk_risk_device_fingerprints"),
    )
    op.create_index(
        "ix_risk_device_fingerprints_subject_id_last_sighting",
        "risk_device_fingerprints",
        ["subject_id", "last_sighting"],
    )


def downgrade() -> None:
    op.drop_table("risk_device_fingerprints")
    op.drop_table("risk_device_nonces")
    op.drop_table("risk_device_challenges")
    op.drop_table("risk_devices")
