"""The record of each series' expiry settlement: its fixed price first, then when it finished.

One row per series market id (the sandbox copy has its own). The row is written **before any money
moves**: the price read from the index once, the payout per contract it implies, and the book's clock at
the fixing. Every later step of the settlement (`matching.options_market.expiry`) recomputes its transfers
from this row, so a restart in the middle settles at the same price whatever the index says by then;
`settled_at` is set when the last step is in the ledger. The price is an exact fraction (QTU units per
TPW) kept as two decimal strings: an index's reserve ratio need not fit a BIGINT.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from sqlalchemy import BigInteger, Column, Connection, MetaData, String, Table, insert, select, update

from chain.sql_naming import SQL_NAMING_CONVENTION
from ledger.transaction import Database, run

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

option_settlements: Final = Table(
    "option_settlements",
    metadata,
    Column("market", String(48), primary_key=True),
    Column("price_numerator", String(80), nullable=False),
    Column("price_denominator", String(80), nullable=False),
    Column("per_contract", BigInteger, nullable=False),
    Column("fixed_at_us", BigInteger, nullable=False),
    Column("settled_at_us", BigInteger, nullable=True),
)


@dataclass(frozen=True, slots=True)
class Fixing:
    """A series' settlement as recorded: price (QTU units per TPW), payout per contract, when."""

    market: str
    price: Fraction
    per_contract: int
    fixed_at_us: int
    settled_at_us: int | None


def _read(connection: Connection, market: str) -> Fixing | None:
    row = connection.execute(select(option_settlements).where(option_settlements.c.market == market)).first()
    if row is None:
        return None
    price = Fraction(int(row.price_numerator), int(row.price_denominator))
    return Fixing(row.market, price, row.per_contract, row.fixed_at_us, row.settled_at_us)


def fixing(database: Database, market: str) -> Fixing | None:
    """The recorded settlement of `market`, None before its price is fixed."""
    return run(database, lambda connection: _read(connection, market))


def fix(database: Database, market: str, price: Fraction, per_contract: int, now_us: int) -> Fixing:
    """Record `market`'s settlement price unless one is recorded already; the recorded one either way."""

    def work(connection: Connection) -> Fixing:
        recorded = _read(connection, market)
        if recorded is not None:
            return recorded
        connection.execute(
            insert(option_settlements).values(
                market=market,
                price_numerator=str(price.numerator),
                price_denominator=str(price.denominator),
                per_contract=per_contract,
                fixed_at_us=now_us,
            )
        )
        return Fixing(market, price, per_contract, now_us, None)

    return run(database, work)


def mark_settled(database: Database, market: str, now_us: int) -> None:
    """Record that every step of `market`'s settlement is in the ledger."""
    run(
        database,
        lambda connection: connection.execute(
            update(option_settlements)
            .where(option_settlements.c.market == market, option_settlements.c.settled_at_us.is_(None))
            .values(settled_at_us=now_us)
        ),
    )
