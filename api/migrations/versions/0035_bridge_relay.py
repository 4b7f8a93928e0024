"""The bridge relay (payments/bridge/schema.py): messages, batches, watcher cursors, delivery leases.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MESSAGE_STATUSES = "'seen', 'batched', 'attested', 'claimable', 'claimed', 'queued', 'released'"


def upgrade() -> None:
    op.create_table(
        "bridge_messages",
        sa.Column("src_chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("dst_chain_id", sa.BigInteger(), nullable=False),
        sa.Column("src_bridge", sa.String(length=42), nullable=False),
        sa.Column("dst_bridge", sa.String(length=42), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("src_token", sa.String(length=42), nullable=False),
        sa.Column("dst_token", sa.String(length=42), nullable=False),
        sa.Column("sender", sa.String(length=42), nullable=False),
        sa.Column("recipient", sa.String(length=42), nullable=False),
        sa.Column("amount", sa.String(length=78), nullable=False),
        sa.Column("leaf", sa.String(length=66), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=True),
        sa.Column("claim_tx_hash", sa.String(length=66), nullable=True),
        sa.Column("seen_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(f"status IN ({_MESSAGE_STATUSES})", name=op.f("ck_bridge_messages_status_known")),
        sa.CheckConstraint(
            "(status = 'seen') = (batch_id IS NULL)", name=op.f("ck_bridge_messages_batched_when_past_seen")
        ),
        sa.PrimaryKeyConstraint("src_chain_id", "tx_hash", "log_index", name=op.f("pk_bridge_messages")),
        sa.UniqueConstraint("id", name=op.f("uq_bridge_messages_id")),
    )
    op.create_index(
        "ix_bridge_messages_route_status",
        "bridge_messages",
        ["src_chain_id", "src_bridge", "status", "nonce"],
    )
    op.create_index("ix_bridge_messages_batch", "bridge_messages", ["batch_id"])
    op.create_table(
        "bridge_batches",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("src_chain_id", sa.BigInteger(), nullable=False),
        sa.Column("dst_chain_id", sa.BigInteger(), nullable=False),
        sa.Column("src_bridge", sa.String(length=42), nullable=False),
        sa.Column("dst_bridge", sa.String(length=42), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(length=66), nullable=False),
        sa.Column("prev_root", sa.String(length=66), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attest_tx_hash", sa.String(length=66), nullable=True),
        sa.Column("deadline", sa.BigInteger(), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "status IN ('cut', 'attested', 'delivered')", name=op.f("ck_bridge_batches_status_known")
        ),
        sa.CheckConstraint("count > 0", name=op.f("ck_bridge_batches_count_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bridge_batches")),
        sa.UniqueConstraint("dst_chain_id", "dst_bridge", "seq", name="uq_bridge_batches_route_seq"),
    )
    op.create_table(
        "bridge_cursor_blocks",
        sa.Column("cursor", sa.String(length=128), nullable=False),
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("cursor", "number", name=op.f("pk_bridge_cursor_blocks")),
    )
    op.create_table(
        "bridge_leases",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_bridge_leases")),
    )


def downgrade() -> None:
    op.drop_table("bridge_leases")
    op.drop_table("bridge_cursor_blocks")
    op.drop_table("bridge_batches")
    op.drop_index("ix_bridge_messages_batch", table_name="bridge_messages")
    op.drop_index("ix_bridge_messages_route_status", table_name="bridge_messages")
    op.drop_table("bridge_messages")
