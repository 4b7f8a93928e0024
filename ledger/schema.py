"""The ledger's tables, in a MetaData of its own (migrated by api/migrations/versions/0007_ledger.py).

Two tables: accounts, whose four totals are the only rows that ever change, and transfers, which are only
ever inserted. Amounts and totals are BIGINT: exact on both backends (SQLite's NUMERIC would fall back to a
float above 2^63), and the ledger refuses any total that would leave int64 (`overflows_*`), so no value is
ever out of range. The database itself guards what it can check in one row or one index: positive amounts,
non-negative totals, the exclusive flags, one idempotency reference per currency, one resolution (post,
void or expiry) per pending transfer.
"""

from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from chain.sql_naming import SQL_NAMING_CONVENTION

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

accounts: Final = Table(
    "ledger_accounts",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("currency", String(3), nullable=False),
    Column("owner_kind", String(16), nullable=False),
    Column("owner_id", String(64), nullable=False),
    Column("code", Integer, nullable=False),
    Column("flags", Integer, nullable=False),
    Column("debits_pending", BigInteger, nullable=False),
    Column("debits_posted", BigInteger, nullable=False),
    Column("credits_pending", BigInteger, nullable=False),
    Column("credits_posted", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    CheckConstraint(
        "debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 AND credits_posted >= 0",
        name="totals_not_negative",
    ),
    CheckConstraint("flags IN (0, 2, 4)", name="flags_known_and_exclusive"),
    Index("ix_ledger_accounts_owner", "owner_kind", "owner_id"),
)

transfers: Final = Table(
    "ledger_transfers",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("currency", String(3), nullable=False),
    Column("reference", String(128), nullable=False),
    Column("debit_account_id", BigInteger, ForeignKey("ledger_accounts.id"), nullable=False),
    Column("credit_account_id", BigInteger, ForeignKey("ledger_accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("pending_id", BigInteger, ForeignKey("ledger_transfers.id"), nullable=True),
    Column("flags", Integer, nullable=False),
    Column("code", Integer, nullable=False),
    Column("timeout_seconds", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    CheckConstraint("amount > 0", name="amount_positive"),
    UniqueConstraint("currency", "reference", name="uq_ledger_transfers_reference"),
    # A pending transfer is resolved once: the database refuses a second post, void or expiry outright.
    UniqueConstraint("pending_id", name="uq_ledger_transfers_pending_id"),
    Index("ix_ledger_transfers_debit_account_id", "debit_account_id", "timestamp"),
    Index("ix_ledger_transfers_credit_account_id", "credit_account_id", "timestamp"),
    Index("ix_ledger_transfers_expires_at", "expires_at"),
)

ACCOUNT_TOTALS: Final = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")
