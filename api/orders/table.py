"""The orders the API placed: its view of each order (who, what, how much filled, its status) for reads,
lists and tenant checks. The book and the ledger are the truth; this table is their projection for clients,
written in the transaction that stores the request's answer."""

from typing import Final

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, MetaData, String, Table

from chain.sql_naming import SQL_NAMING_CONVENTION
from payments.merchants.schema import merchants
from payments.merchants.tenant import tenant_columns

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)
STATUSES: Final = ("open", "partially_filled", "filled", "canceled", "expired")
_KNOWN = ", ".join(f"'{status}'" for status in STATUSES)

spot_orders: Final = Table(
    "spot_orders",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    *tenant_columns(merchants),
    Column("market", String(32), nullable=False),
    Column("side", String(4), nullable=False),
    Column("price_ticks", BigInteger, nullable=False),
    Column("qty_lots", BigInteger, nullable=False),
    Column("filled_lots", BigInteger, nullable=False),
    Column("time_in_force", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(32), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(f"status IN ({_KNOWN})", name="status_known"),
    CheckConstraint("side IN ('buy', 'sell')", name="side_known"),
    CheckConstraint("filled_lots >= 0 AND filled_lots <= qty_lots", name="filled_within_qty"),
)
