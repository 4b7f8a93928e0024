"""The pre-trade tables (migrated by api/migrations/versions/0033_pretrade.py): the kill switches engaged
now, the last liquidation of each account in each market (what its cool-down runs from), and the step-up
challenges of large derivative orders."""

from typing import Final

from sqlalchemy import BigInteger, CheckConstraint, Column, Integer, MetaData, String, Table

from chain.sql_naming import SQL_NAMING_CONVENTION

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

pretrade_kill_switches: Final = Table(
    "pretrade_kill_switches",
    metadata,
    Column("kind", String(8), primary_key=True),
    Column("target", String(64), primary_key=True),
    Column("reason", String(200), nullable=False),
    Column("engaged_by", String(64), nullable=False),
    Column("engaged_at", BigInteger, nullable=False),
    CheckConstraint("kind IN ('market', 'account')", name="kind_known"),
)
"""One row per engaged switch: `kind` market (target: a market id) or account (target: a merchant id)."""

pretrade_liquidations: Final = Table(
    "pretrade_liquidations",
    metadata,
    Column("account", BigInteger, primary_key=True, autoincrement=False),
    Column("market", String(32), primary_key=True),
    Column("liquidated_at", BigInteger, nullable=False),
)
"""The latest liquidation (unix seconds) of an engine account in a market."""

pretrade_step_ups: Final = Table(
    "pretrade_step_ups",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account", BigInteger, nullable=False),
    Column("market", String(32), nullable=False),
    Column("direction", Integer, nullable=False),
    Column("lots", BigInteger, nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("notional", BigInteger, nullable=False),
    Column("factors", String(200), nullable=False),
    Column("decision_id", String(32), nullable=True),
    Column("status", String(12), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    CheckConstraint("status IN ('pending', 'confirmed', 'used')", name="status_known"),
)
"""A derivative order's step-up challenge: the order it is for (account, market, side, lots, price),
pending until a factor confirms it, then used once by that very order."""
