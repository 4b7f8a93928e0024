"""FX's tables (payments/fx/schema.py): quotes, their conversions (one per quote), the desk's books.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _account_key(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["ledger_accounts.id"], name=op.f(f"fk_{table}_{column}_ledger_accounts")
    )


def upgrade() -> None:
    op.create_table(
        "fx_quotes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("sell_currency", sa.String(length=8), nullable=False),
        sa.Column("buy_currency", sa.String(length=8), nullable=False),
        sa.Column("sell_amount", sa.BigInteger(), nullable=False),
        sa.Column("buy_amount", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.String(length=64), nullable=False),
        sa.Column("mid_rate", sa.String(length=256), nullable=False),
        sa.Column("spread_bps", sa.Integer(), nullable=False),
        sa.Column("rates_as_of", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("sell_amount > 0 AND buy_amount > 0", name=op.f("ck_fx_quotes_amounts_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fx_quotes")),
    )
    op.create_table(
        "fx_conversions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("quote_id", sa.String(length=32), nullable=False),
        sa.Column("sell_account_id", sa.BigInteger(), nullable=False),
        sa.Column("buy_account_id", sa.BigInteger(), nullable=False),
        sa.Column("sell_transfer_id", sa.BigInteger(), nullable=False),
        sa.Column("buy_transfer_id", sa.BigInteger(), nullable=False),
        sa.Column("spread_amount", sa.BigInteger(), nullable=False),
        sa.Column("rounding_booked", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["quote_id"], ["fx_quotes.id"], name=op.f("fk_fx_conversions_quote_id_fx_quotes")
        ),
        _account_key("sell_account_id", "fx_conversions"),
        _account_key("buy_account_id", "fx_conversions"),
        sa.ForeignKeyConstraint(
            ["sell_transfer_id"],
            ["ledger_transfers.id"],
            name=op.f("fk_fx_conversions_sell_transfer_id_ledger_transfers"),
        ),
        sa.ForeignKeyConstraint(
            ["buy_transfer_id"],
            ["ledger_transfers.id"],
            name=op.f("fk_fx_conversions_buy_transfer_id_ledger_transfers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fx_conversions")),
        sa.UniqueConstraint("quote_id", name=op.f("uq_fx_conversions_quote_id")),
    )
    op.create_table(
        "fx_books",
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("position_account_id", sa.BigInteger(), nullable=False),
        sa.Column("spread_account_id", sa.BigInteger(), nullable=False),
        sa.Column("rounding_account_id", sa.BigInteger(), nullable=False),
        sa.Column("rounding_carry", sa.String(length=512), nullable=False),
        _account_key("position_account_id", "fx_books"),
        _account_key("spread_account_id", "fx_books"),
        _account_key("rounding_account_id", "fx_books"),
        sa.PrimaryKeyConstraint("currency", name=op.f("pk_fx_books")),
    )


def downgrade() -> None:
    op.drop_table("fx_books")
    op.drop_table("fx_conversions")
    op.drop_table("fx_quotes")
