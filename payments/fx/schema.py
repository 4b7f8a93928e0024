"""FX's tables, in a MetaData of their own (migrated by api/migrations/versions/0011_fx.py).

`fx_quotes` holds every quote as priced (amounts BIGINT in minor units; rates as text, exact: the customer's
decimal rate and the mid rate as a "p/q" rational); `fx_conversions` the conversion of a quote, at most one
(the unique quote id is what makes a quote usable once, whatever races); `fx_books` the FX desk's three
ledger accounts per currency and the rounding account's carry, a rational below one minor unit.
Account and transfer ids are foreign keys into the ledger's tables. Times are ns since the epoch, the
ledger's clock.
"""

from typing import Final

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Integer, MetaData, String, Table

from chain.sql_naming import SQL_NAMING_CONVENTION
from ledger.schema import accounts, transfers

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

quotes: Final = Table(
    "fx_quotes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("sell_currency", String(8), nullable=False),
    Column("buy_currency", String(8), nullable=False),
    Column("sell_amount", BigInteger, nullable=False),
    Column("buy_amount", BigInteger, nullable=False),
    Column("rate", String(64), nullable=False),
    Column("mid_rate", String(256), nullable=False),
    Column("spread_bps", Integer, nullable=False),
    Column("rates_as_of", String(10), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    CheckConstraint("sell_amount > 0 AND buy_amount > 0", name="amounts_positive"),
)

conversions: Final = Table(
    "fx_conversions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("quote_id", String(32), ForeignKey("fx_quotes.id"), nullable=False, unique=True),
    Column("sell_account_id", BigInteger, ForeignKey(accounts.c.id), nullable=False),
    Column("buy_account_id", BigInteger, ForeignKey(accounts.c.id), nullable=False),
    Column("sell_transfer_id", BigInteger, ForeignKey(transfers.c.id), nullable=False),
    Column("buy_transfer_id", BigInteger, ForeignKey(transfers.c.id), nullable=False),
    Column("spread_amount", BigInteger, nullable=False),
    Column("rounding_booked", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

books: Final = Table(
    "fx_books",
    metadata,
    Column("currency", String(8), primary_key=True),
    Column("position_account_id", BigInteger, ForeignKey(accounts.c.id), nullable=False),
    Column("spread_account_id", BigInteger, ForeignKey(accounts.c.id), nullable=False),
    Column("rounding_account_id", BigInteger, ForeignKey(accounts.c.id), nullable=False),
    Column("rounding_carry", String(512), nullable=False),
)
