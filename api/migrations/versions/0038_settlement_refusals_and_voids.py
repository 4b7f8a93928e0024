"""Settlement's two ways back (matching/settlement/): a withdrawal the custody group's policy will not sign
becomes `refused`, its amount returned to the trader, with the nodes' reason in `refusal` (for the operator;
the API shows only the status); a batch whose anchor the treasury owners voided becomes `voided`, its trades
let go to be cut again.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITHDRAWALS = "ck_settlement_withdrawals_status_known"
BATCHES = "ck_settlement_batches_status_known"


def upgrade() -> None:
    with op.batch_alter_table("settlement_withdrawals") as batch:
        batch.add_column(sa.Column("refusal", sa.String(length=300), nullable=True))
        batch.drop_constraint(op.f(WITHDRAWALS), type_="check")
        batch.create_check_constraint(op.f(WITHDRAWALS), "status IN ('signing', 'sent', 'paid', 'refused')")
    with op.batch_alter_table("settlement_batches") as batch:
        batch.drop_constraint(op.f(BATCHES), type_="check")
        batch.create_check_constraint(
            op.f(BATCHES), "status IN ('cut', 'signing', 'submitted', 'anchored', 'voided')"
        )


def downgrade() -> None:
    with op.batch_alter_table("settlement_batches") as batch:
        batch.drop_constraint(op.f(BATCHES), type_="check")
        batch.create_check_constraint(op.f(BATCHES), "status IN ('cut', 'signing', 'submitted', 'anchored')")
    with op.batch_alter_table("settlement_withdrawals") as batch:
        batch.drop_constraint(op.f(WITHDRAWALS), type_="check")
        batch.create_check_constraint(op.f(WITHDRAWALS), "status IN ('signing', 'sent', 'paid')")
        batch.drop_column("refusal")
