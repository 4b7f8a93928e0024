"""Custody: the group keys the API made, sign requests and the operators' approvals of them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "custody_keys",
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("public_key_package", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_custody_keys")),
    )
    op.create_table(
        "custody_sign_requests",
        sa.Column("id", sa.String(length=66), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("intent", _json(), nullable=False),
        sa.Column("digest", sa.String(length=66), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reasons", _json(), nullable=False),
        sa.Column("nodes", _json(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=132), nullable=True),
        sa.Column("created_by", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["custody_keys.key_id"],
            name=op.f("fk_custody_sign_requests_key_id_custody_keys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_sign_requests")),
    )
    op.create_index(
        op.f("ix_custody_sign_requests_key_id"), "custody_sign_requests", ["key_id"], unique=False
    )
    op.create_table(
        "custody_approvals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=66), nullable=False),
        sa.Column("operator", sa.String(length=42), nullable=False),
        sa.Column("signature", sa.String(length=132), nullable=False),
        sa.Column("submitted_by", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["custody_sign_requests.id"],
            name=op.f("fk_custody_approvals_request_id_custody_sign_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_approvals")),
        sa.UniqueConstraint("request_id", "operator", name=op.f("uq_custody_approvals_request_id")),
    )


def downgrade() -> None:
    op.drop_table("custody_approvals")
    op.drop_index(op.f("ix_custody_sign_requests_key_id"), table_name="custody_sign_requests")
    op.drop_table("custody_sign_requests")
    op.drop_table("custody_keys")
