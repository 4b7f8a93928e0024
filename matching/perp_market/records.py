"""`perp_records`: every margin call, liquidation step, take-over, deleveraging, insurance draw and funding
payment of a perpetual market, as rows for the API to read (migration 0030).

Rows are written in the database transaction that posts the step's ledger transfers (`PerpMarket` posts
through a connection and writes these beside them), keyed by (market, step, n) like the transfers'
references: a step replayed after a crash is answered `exists` by the ledger and its rows, already
there, are skipped, so each record is stored exactly once and never without its money (or vice versa).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import BigInteger, Column, Connection, Integer, MetaData, String, Table, insert, select

from chain.sql_naming import SQL_NAMING_CONVENTION
from matching.perpetuals.records import (
    Deleveraged,
    FundingPaid,
    FundUnwound,
    InsuranceMoved,
    LiquidationFilled,
    LiquidationStarted,
    MarginCall,
    Record,
    TakenOver,
)

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

perp_records: Final = Table(
    "perp_records",
    metadata,
    Column("market", String(32), primary_key=True),
    Column("step", String(24), primary_key=True),
    Column("n", Integer, primary_key=True, autoincrement=False),
    Column("trader", BigInteger, nullable=False, index=True),
    Column("kind", String(24), nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("lots", BigInteger, nullable=True),
    Column("price", BigInteger, nullable=True),
    Column("amount", BigInteger, nullable=True),
    Column("equity", BigInteger, nullable=True),
    Column("maintenance", BigInteger, nullable=True),
    Column("rate_ppm", BigInteger, nullable=True),
    Column("counterparty", BigInteger, nullable=True),
    Column("tier", String(8), nullable=True),
    Column("reason", String(32), nullable=True),
)

KINDS: Final[dict[type, str]] = {
    MarginCall: "margin_call",
    LiquidationStarted: "liquidation_started",
    LiquidationFilled: "liquidation_filled",
    TakenOver: "taken_over",
    Deleveraged: "deleveraged",
    InsuranceMoved: "insurance_moved",
    FundUnwound: "fund_unwound",
    FundingPaid: "funding_paid",
}
_OPTIONAL: Final = (
    "lots",
    "price",
    "amount",
    "equity",
    "maintenance",
    "rate_ppm",
    "counterparty",
    "tier",
    "reason",
)
LIQUIDATION_KINDS: Final = ("liquidation_started", "liquidation_filled", "taken_over", "deleveraged")


def row(market: str, step: str, n: int, record: Record) -> dict[str, Any]:
    """One record as a row; fields a kind has not stay NULL."""
    values: dict[str, Any] = dict.fromkeys(_OPTIONAL)  # every key in every row: one executemany
    values.update(market=market, step=step, n=n, kind=KINDS[type(record)])
    values.update(trader=record.account, ts=record.ts)
    fields = record._asdict()
    for name in ("lots", "price", "equity", "maintenance", "rate_ppm", "counterparty"):
        if name in fields:
            values[name] = fields[name]
    if isinstance(record, LiquidationStarted):
        values.update(lots=record.lots, price=record.bankruptcy_price, tier=record.tier.name.lower())
    if isinstance(record, (LiquidationFilled, InsuranceMoved, FundingPaid)):
        values["amount"] = record.fee if isinstance(record, LiquidationFilled) else record.amount
    if isinstance(record, FundingPaid):
        values["price"] = record.mark
    if "reason" in fields:
        values["reason"] = record.reason.name.lower()  # type: ignore[union-attr]
    return values


def write_records(connection: Connection, market: str, step: str, records: Sequence[Record]) -> None:
    """Store a step's records unless a first run of the step stored them already."""
    if not records:
        return
    t = perp_records.c
    stored = (
        connection.execute(select(perp_records.c.n).where(t.market == market, t.step == step)).scalars().all()
    )
    rows = [row(market, step, n, record) for n, record in enumerate(records) if n not in set(stored)]
    if rows:
        connection.execute(insert(perp_records), rows)
