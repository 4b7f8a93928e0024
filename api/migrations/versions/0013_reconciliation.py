"""Reconciliation's tables (payments/reconciliation/schema.py): runs per day, each rail's state, the breaks.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _of_run(table: str) -> list[sa.Column[object] | sa.ForeignKeyConstraint]:
    return [
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["day", "number"],
            ["reconciliation_runs.day", "reconciliation_runs.number"],
            name=op.f(f"fk_{table}_day_reconciliation_runs"),
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "reconciliation_runs",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("break_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("number > 0", name=op.f("ck_reconciliation_runs_number_positive")),
        sa.PrimaryKeyConstraint("day", "number", name=op.f("pk_reconciliation_runs")),
    )
    op.create_table(
        "reconciliation_run_rails",
        *_of_run("reconciliation_run_rails"),
        sa.Column("rail", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("ledger_lines", sa.Integer(), nullable=False),
        sa.Column("rail_lines", sa.Integer(), nullable=False),
        sa.Column("detail", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("day", "number", "rail", name=op.f("pk_reconciliation_run_rails")),
    )
    op.create_table(
        "reconciliation_breaks",
        *_of_run("reconciliation_breaks"),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("rail", sa.String(length=16), nullable=False),
        sa.Column("line_kind", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=False),
        sa.Column("ledger_amount", sa.BigInteger(), nullable=True),
        sa.Column("ledger_currency", sa.String(length=3), nullable=True),
        sa.Column("ledger_livemode", sa.Boolean(), nullable=True),
        sa.Column("ledger_transfer_ids", sa.Text(), nullable=True),
        sa.Column("rail_external_id", sa.String(length=255), nullable=True),
        sa.Column("rail_amount", sa.BigInteger(), nullable=True),
        sa.Column("rail_currency", sa.String(length=8), nullable=True),
        sa.Column("rail_livemode", sa.Boolean(), nullable=True),
        sa.Column("rail_booked_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("day", "number", "position", name=op.f("pk_reconciliation_breaks")),
    )


def downgrade() -> None:
    op.drop_table("reconciliation_breaks")
    op.drop_table("reconciliation_run_rails")
    op.drop_table("reconciliation_runs")
