"""The backtest's venue: the matching engine with the strategy as one account among the others.

Every order, the strategy's and the replayed market's, is a `Place` or `Cancel` processed by
`matching.engine.Engine`, the engine the spot markets journal: priority, partial fills and self-trade
prevention are the engine's own. The venue reads the strategy's trades from the events and books them in
its `Portfolio`, with the market spec's maker fee when the strategy's order rested and its taker fee when
it took. Before a strategy order is placed, what it could cost is checked against what is free (cash and
base less what its open orders reserve, exactly as the spot market's hold), so a backtest never spends
money it does not have.
"""

from __future__ import annotations

from collections.abc import Mapping

from matching.backtest.portfolio import Portfolio
from matching.backtest.strategy import OpenOrder
from matching.engine import Cancel, Canceled, Command, Engine, Event, Kind, Place, Rejected, Side, Tif, Trade
from matching.markets import MarketSpec

STRATEGY = 1
"""The strategy's account in the engine; a recorded flow may not use it."""
STRATEGY_IDS = 1 << 62
"""The strategy's order ids count up from here; a recorded flow's ids stay below."""


class Venue:
    def __init__(self, spec: MarketSpec, portfolio: Portfolio) -> None:
        self.spec = spec
        self.portfolio = portfolio
        self.engine = Engine()
        self.ts = 0
        self.refused = 0
        self.last_price: int | None = None
        self._orders: dict[int, OpenOrder] = {}
        self._next_id = STRATEGY_IDS

    # -- the broker the strategy sees --------------------------------------------------------------

    @property
    def position(self) -> int:
        return self.portfolio.lots

    @property
    def orders(self) -> Mapping[int, OpenOrder]:
        return self._orders

    def place(self, side: Side, price: int, qty: int, tif: Tif = Tif.GTC) -> int | None:
        if qty <= 0 or price <= 0 or not self._funded(side, price, qty):
            self.refused += 1
            return None
        self._next_id += 1
        order_id = self._next_id
        self._orders[order_id] = OpenOrder(side, price, qty)
        events = self.process(Place(self.ts, order_id, STRATEGY, side, Kind.LIMIT, qty, price, tif=tif))
        if any(isinstance(event, Rejected) and event.order_id == order_id for event in events):
            self.refused += 1
            return None
        return order_id

    def cancel(self, order_id: int) -> None:
        if order_id in self._orders:
            self.process(Cancel(self.ts, order_id, STRATEGY))

    def cancel_all(self) -> None:
        for order_id in list(self._orders):
            self.cancel(order_id)

    # -- the engine ---------------------------------------------------------------------------------

    def process(self, command: Command) -> list[Event]:
        """Run `command` through the engine and book what it did to the strategy."""
        events = self.engine.process(command)
        for event in events:
            if isinstance(event, Trade):
                self.last_price = event.price
                if STRATEGY in (event.taker_account, event.maker_account):
                    self._book_trade(event)
            elif isinstance(event, (Canceled, Rejected)):
                self._orders.pop(event.order_id, None)
        return events

    def best(self, side: Side) -> int | None:
        level = self.engine.book.best(side)
        return None if level is None else level.price

    def _book_trade(self, trade: Trade) -> None:
        took = trade.taker_account == STRATEGY
        order_id = trade.taker_id if took else trade.maker_id
        order = self._orders[order_id]
        fee_bps = self.spec.taker_fee_bps if took else self.spec.maker_fee_bps
        self.portfolio.fill(order.side, trade.price, trade.qty, fee_bps)
        if order.leaves == trade.qty:
            del self._orders[order_id]
        else:
            self._orders[order_id] = OpenOrder(order.side, order.price, order.leaves - trade.qty)

    def _funded(self, side: Side, price: int, qty: int) -> bool:
        """Whether free cash (a buy: notional and the highest fee at its limit) or base (a sell) covers it."""
        spec = self.spec
        if side is Side.BUY:
            held = sum(
                spec.reserve_quote(o.leaves, o.price) for o in self._orders.values() if o.side is Side.BUY
            )
            return self.portfolio.cash - held >= spec.reserve_quote(qty, price)
        held_lots = sum(o.leaves for o in self._orders.values() if o.side is Side.SELL)
        return self.portfolio.lots - held_lots >= qty
