"""The settled trades as the monitoring's trade surveillance reads them (`risk.monitoring.surveillance`).

`settlement_trades` is matching's table, and risk sits below matching (it may not import it), so the
monitoring asks through its `TradeFeed` protocol and this class answers from the table: the trades not
checked yet, and the market's volume and last price without the two parties. Each trade's sides are named
by their ledger owner (`matching.spot.accounts.trader_owner`: every venue's trader money lives in the
trader's spot accounts), and each market's money by `prices` (its quote currency and the minor units of one
lot per tick), which the API builds from the markets it lists. A market `prices` does not know (a paper
market, whose money is made up) is read, remembered as checked, and never judged; so is a trade of the
perpetual's insurance fund (`FUND_ID`, the venue's own account, not a trader's: its take-overs are the
liquidation's business, and it has no ledger accounts an alert could freeze). Such trades still count in the
other trades' references: they are the market's.
"""

from collections.abc import Callable

from sqlalchemy import ColumnElement, Connection, Select, and_, func, or_, select

from matching.perpetuals.market import FUND_ID
from matching.settlement.schema import settlement_trades as trades
from matching.spot.accounts import trader_owner
from risk.monitoring.surveillance import Pricing, Trade, Volume


class SettledTradeFeed:
    """A `TradeFeed` over `settlement_trades`, pricing each market with `prices` (None: not judged)."""

    def __init__(self, prices: Callable[[str], Pricing | None]) -> None:
        self.prices = prices

    def unchecked(
        self, connection: Connection, since_us: int, checked_ids: Select[tuple[str]], limit: int
    ) -> list[Trade]:
        query = (
            select(
                trades.c.id,
                trades.c.market,
                trades.c.recorded_us,
                trades.c.buyer,
                trades.c.seller,
                trades.c.price,
                trades.c.qty,
            )
            .where(and_(trades.c.recorded_us >= since_us, trades.c.id.not_in(checked_ids.scalar_subquery())))
            .order_by(trades.c.recorded_us, trades.c.id)
            .limit(limit)
        )
        return [
            Trade(
                id=row.id,
                market=row.market,
                recorded_us=int(row.recorded_us),
                buyer=int(row.buyer),
                seller=int(row.seller),
                buyer_owner=trader_owner(int(row.buyer)),
                seller_owner=trader_owner(int(row.seller)),
                price=int(row.price),
                qty=int(row.qty),
                pricing=None if FUND_ID in (row.buyer, row.seller) else self.prices(row.market),
            )
            for row in connection.execute(query)
        ]

    def volume(
        self, connection: Connection, market: str, start_us: int, end_us: int, parties: tuple[int, int]
    ) -> Volume:
        query = select(
            func.coalesce(func.sum(trades.c.price * trades.c.qty), 0),
            func.coalesce(func.sum(trades.c.qty), 0),
        ).where(
            and_(
                _others(market, parties),
                trades.c.recorded_us > start_us,
                trades.c.recorded_us <= end_us,
            )
        )
        notional, qty = connection.execute(query).one()
        return Volume(int(notional), int(qty))

    def last_price(
        self, connection: Connection, market: str, before_us: int, parties: tuple[int, int]
    ) -> int | None:
        query = (
            select(trades.c.price)
            .where(and_(_others(market, parties), trades.c.recorded_us <= before_us))
            .order_by(trades.c.recorded_us.desc(), trades.c.seq.desc(), trades.c.trade_index.desc())
            .limit(1)
        )
        price = connection.execute(query).scalar()
        return None if price is None else int(price)


def _others(market: str, parties: tuple[int, int]) -> ColumnElement[bool]:
    """The market's trades none of `parties` is in (on either side)."""
    return and_(
        trades.c.market == market,
        ~or_(trades.c.buyer.in_(parties), trades.c.seller.in_(parties)),
    )
