"""Parent orders (TWAP and VWAP) and their slices, durable so a restarted API resumes them.

A parent's schedule is written whole when it is created: one `parent_slices` row per slice, due at its
time. Executing a slice is three commits (`api.routing.runner`): the slice is claimed (`executing`) with
its planned legs and their child order ids, each leg's result is written as it comes back, and the slice is
`done`. Child ids derive from (parent, slice, venue), so after a crash a leg is never sent twice: the book
refuses a reused order id and knows which ids it has seen, and a pool leg that may have been sent is never
resent (`unknown`, for an operator to reconcile from the chain).
"""

from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from chain.sql_naming import SQL_NAMING_CONVENTION
from payments.merchants.schema import merchants
from payments.merchants.tenant import tenant_columns

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)
PARENT_STATUSES: Final = ("active", "completed", "canceled")
SLICE_STATUSES: Final = ("scheduled", "executing", "done", "canceled")


def _known(statuses: tuple[str, ...]) -> str:
    return ", ".join(f"'{status}'" for status in statuses)


parent_orders: Final = Table(
    "parent_orders",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    *tenant_columns(merchants),
    Column("market", String(32), nullable=False),
    Column("side", String(4), nullable=False),
    Column("strategy", String(4), nullable=False),
    Column("qty_lots", BigInteger, nullable=False),
    Column("limit_ticks", BigInteger, nullable=False),
    Column("start_us", BigInteger, nullable=False),
    Column("end_us", BigInteger, nullable=False),
    Column("filled_lots", BigInteger, nullable=False),
    Column("cost", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(f"status IN ({_known(PARENT_STATUSES)})", name="status_known"),
    CheckConstraint("side IN ('buy', 'sell')", name="side_known"),
    CheckConstraint("strategy IN ('twap', 'vwap')", name="strategy_known"),
    CheckConstraint("filled_lots >= 0 AND filled_lots <= qty_lots", name="filled_within_qty"),
)

parent_slices: Final = Table(
    "parent_slices",
    metadata,
    Column("parent_id", BigInteger, ForeignKey("parent_orders.id"), primary_key=True),
    Column("slice_index", Integer, primary_key=True, autoincrement=False),
    Column("due_us", BigInteger, nullable=False, index=True),
    Column("qty_lots", BigInteger, nullable=False),
    Column("filled_lots", BigInteger, nullable=False),
    Column("cost", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("legs", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(f"status IN ({_known(SLICE_STATUSES)})", name="status_known"),
    CheckConstraint("filled_lots >= 0 AND filled_lots <= qty_lots", name="filled_within_qty"),
)
