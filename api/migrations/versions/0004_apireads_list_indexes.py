"""Indexes for listing sign requests in keyset order: all of them, by status, and by the key that made them.

Revision ID: 0004_apireads
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_apireads"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES: dict[str, list[str]] = {
    "ix_custody_sign_requests_created": ["created_at", "id"],
    "ix_custody_sign_requests_status_created": ["status", "created_at", "id"],
    "ix_custody_sign_requests_creator_created": ["created_by", "created_at", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "custody_sign_requests", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="custody_sign_requests")
