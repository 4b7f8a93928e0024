"""The liquidation cool-down's memory: when each account was last liquidated in each market.

This is the interface the perpetual's service calls when its liquidation rounds emit `LiquidationStarted`
(`matching.perpetuals.records`): `LiquidationLog.record_liquidation(account, market, at)`, with the
engine's account number, the market id and the record's time in unix seconds. It is written durably (its
own committed transaction) before it returns, so a liquidation the perpetual has acknowledged survives a
restart; recording an earlier time than the one stored changes nothing (replays and out-of-order reports
are harmless). The pre-trade gate reads `cooling_until` before every order.
"""

from typing import Protocol

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite

from risk.pretrade.schema import pretrade_liquidations


class LiquidationSink(Protocol):
    """What a market that liquidates calls, once per `LiquidationStarted`."""

    def record_liquidation(self, account: int, market: str, at: int) -> None: ...


class LiquidationLog:
    """`LiquidationSink` over the `pretrade_liquidations` table of `database`."""

    def __init__(self, database: Engine) -> None:
        self.database = database

    def record_liquidation(self, account: int, market: str, at: int) -> None:
        """Remember that `account` was liquidated in `market` at `at` (unix seconds), durably."""
        with self.database.begin() as connection:
            record_liquidation_on(connection, account, market, at)


def record_liquidation_on(connection: Connection, account: int, market: str, at: int) -> None:
    """`LiquidationLog.record_liquidation` inside the caller's transaction: the perpetual writes it with the
    liquidation's own records (`matching.perp_market`), so a replayed step writes it again, harmlessly."""
    table = pretrade_liquidations
    values = {"account": account, "market": market, "liquidated_at": at}
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.account, table.c.market],
            set_={
                "liquidated_at": func.max(table.c.liquidated_at, statement.excluded.liquidated_at)
                if connection.dialect.name == "sqlite"
                else func.greatest(table.c.liquidated_at, statement.excluded.liquidated_at)
            },
        )
    )


def last_liquidation(connection: Connection, account: int, market: str) -> int | None:
    """When `account` was last liquidated in `market` (unix seconds), or None."""
    table = pretrade_liquidations
    return connection.execute(
        select(table.c.liquidated_at).where(table.c.account == account, table.c.market == market)
    ).scalar_one_or_none()


def cooling_until(connection: Connection, account: int, market: str, seconds: int) -> int | None:
    """The end of `account`'s cool-down in `market` (None: never liquidated there)."""
    at = last_liquidation(connection, account, market)
    return None if at is None else at + seconds
