"""Reconciliation's tables, in a MetaData of their own (migrated by 0013_reconciliation).

A run is numbered within its day (`number` 1, 2, ... as the day is reconciled again), and keeps what each
rail's side looked like (reconciled, unreadable, unconfigured) and every break with both sides as they
were read: a later run never rewrites an earlier one, so what an operator saw stays what was found.
Amounts are BIGINT minor units; times ns since the epoch (the ledger's clock).
"""

from typing import Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from chain.sql_naming import SQL_NAMING_CONVENTION

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

DETAIL_MAX_LENGTH: Final = 255
REFERENCE_MAX_LENGTH: Final = 255
"""A rail's reference or line id longer than this is stored cut to it (ours are at most 64)."""


def _of_run(table: str) -> list[Column[object] | ForeignKeyConstraint]:
    """The run a row belongs to: (day, number), a foreign key to the run."""
    return [
        Column("day", Date, primary_key=True),
        Column("number", Integer, primary_key=True, autoincrement=False),
        ForeignKeyConstraint(
            ["day", "number"],
            ["reconciliation_runs.day", "reconciliation_runs.number"],
            name=f"fk_{table}_day_reconciliation_runs",
        ),
    ]


runs: Final = Table(
    "reconciliation_runs",
    metadata,
    Column("day", Date, primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("status", String(16), nullable=False),
    Column("break_count", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    CheckConstraint("number > 0", name="number_positive"),
)

run_rails: Final = Table(
    "reconciliation_run_rails",
    metadata,
    *_of_run("reconciliation_run_rails"),
    Column("rail", String(16), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("ledger_lines", Integer, nullable=False),
    Column("rail_lines", Integer, nullable=False),
    Column("detail", String(DETAIL_MAX_LENGTH), nullable=True),
)

breaks: Final = Table(
    "reconciliation_breaks",
    metadata,
    *_of_run("reconciliation_breaks"),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(32), nullable=False),
    Column("rail", String(16), nullable=False),
    Column("line_kind", String(16), nullable=False),
    Column("reference", String(REFERENCE_MAX_LENGTH), nullable=False),
    Column("ledger_amount", BigInteger, nullable=True),
    Column("ledger_currency", String(3), nullable=True),
    Column("ledger_livemode", Boolean, nullable=True),
    Column("ledger_transfer_ids", Text, nullable=True),
    Column("rail_external_id", String(REFERENCE_MAX_LENGTH), nullable=True),
    Column("rail_amount", BigInteger, nullable=True),
    Column("rail_currency", String(8), nullable=True),
    Column("rail_livemode", Boolean, nullable=True),
    Column("rail_booked_on", Date, nullable=True),
)
