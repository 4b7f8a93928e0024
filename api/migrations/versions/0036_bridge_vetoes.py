"""Bridge vetoes and deep reorgs (payments/bridge/schema.py): a batch may be `vetoed` (the guardian vetoed it
on the destination bridge; its messages are cut again into new batches) and a message `orphaned` (a reorg
deeper than the confirmation depth took its source event away; it is never delivered unless the event comes
back). An orphaned message may keep the batch it was in (the guardian has to veto that batch) or have none
(its batch was dropped before it was attested), so "no batch exactly when seen" becomes "seen has no batch,
every other status but orphaned has one".

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MESSAGE_STATUSES = "'seen', 'batched', 'attested', 'claimable', 'claimed', 'queued', 'released'"
_BATCH_STATUSES = "'cut', 'attested', 'delivered'"


def upgrade() -> None:
    with op.batch_alter_table("bridge_messages") as batch:
        batch.drop_constraint(op.f("ck_bridge_messages_status_known"), type_="check")
        batch.drop_constraint(op.f("ck_bridge_messages_batched_when_past_seen"), type_="check")
        batch.create_check_constraint(
            op.f("ck_bridge_messages_status_known"), f"status IN ({_MESSAGE_STATUSES}, 'orphaned')"
        )
        batch.create_check_constraint(
            op.f("ck_bridge_messages_unbatched_when_seen"), "status != 'seen' OR batch_id IS NULL"
        )
        batch.create_check_constraint(
            op.f("ck_bridge_messages_batched_past_seen"),
            "status IN ('seen', 'orphaned') OR batch_id IS NOT NULL",
        )
    with op.batch_alter_table("bridge_batches") as batch:
        batch.drop_constraint(op.f("ck_bridge_batches_status_known"), type_="check")
        batch.create_check_constraint(
            op.f("ck_bridge_batches_status_known"), f"status IN ({_BATCH_STATUSES}, 'vetoed')"
        )


def downgrade() -> None:
    with op.batch_alter_table("bridge_batches") as batch:
        batch.drop_constraint(op.f("ck_bridge_batches_status_known"), type_="check")
        batch.create_check_constraint(
            op.f("ck_bridge_batches_status_known"), f"status IN ({_BATCH_STATUSES})"
        )
    with op.batch_alter_table("bridge_messages") as batch:
        batch.drop_constraint(op.f("ck_bridge_messages_batched_past_seen"), type_="check")
        batch.drop_constraint(op.f("ck_bridge_messages_unbatched_when_seen"), type_="check")
        batch.drop_constraint(op.f("ck_bridge_messages_status_known"), type_="check")
        batch.create_check_constraint(
            op.f("ck_bridge_messages_batched_when_past_seen"), "(status = 'seen') = (batch_id IS NULL)"
        )
        batch.create_check_constraint(
            op.f("ck_bridge_messages_status_known"), f"status IN ({_MESSAGE_STATUSES})"
        )
