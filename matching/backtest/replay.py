"""The two replays: K-lines turned into orders against the strategy's, or a recorded flow as it was.

**Candles.** A candle is only prices and a volume, so the replay plays the rest of the market with
orders of its own (account 2), through the same engine as the strategy's:

1. at the open, it quotes a bid and an ask `spread` ticks either side of the open, each the candle's
   whole volume: what a strategy that takes at the open trades against (paying the taker fee);
2. the strategy acts, seeing the open and the previous close, never this candle's high, low or close;
3. the quotes are withdrawn, and the candle's path is swept with IOC orders: open, low, high, close for a
   candle that closes up (open, high, low, close for one that closes down), each leg a sell down to (or a
   buy up to) its price. They trade only with the strategy's resting orders, which fill as a maker at
   their own price, and all the sweeps of a candle together trade at most its volume;
4. the strategy is marked at the close (drawdown is measured on these marks).

**Order flow.** Each record is a command of another participant, processed as it was recorded; after each,
the strategy acts, seeing the last trade price as the mark (and is marked there). Records before the first
trade only build the book.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matching.backtest.inputs import BacktestInputError, Candle
from matching.backtest.portfolio import Portfolio
from matching.backtest.strategy import MarketView, Strategy
from matching.backtest.venue import Venue
from matching.engine import Cancel, Command, Kind, Place, Side, Tif, Trade
from matching.markets import MarketSpec

MARKET = 2
"""The replay's own account (candles)."""
MARKET_IDS = 1 << 61
"""The replay's order ids count up from here (candles)."""
MICROS = 1_000_000


@dataclass(frozen=True, slots=True)
class Result:
    """A run's outcome; money in quote ledger units, quantities in lots."""

    strategy: str
    bars: int
    fills: int
    refused: int
    fees: int
    realised: int
    unrealised: int
    volume_lots: int
    volume_quote: int
    max_drawdown: int
    max_drawdown_bps: int
    start_equity: int
    end_equity: int
    position: int
    mark: int

    @property
    def pnl(self) -> int:
        return self.realised + self.unrealised


def _result(strategy: Strategy, bars: int, venue: Venue, mark: int) -> Result:
    book = venue.portfolio
    return Result(
        strategy.name,
        bars,
        book.fills,
        venue.refused,
        book.fees,
        book.realised,
        book.unrealised(mark),
        book.volume_lots,
        book.volume_quote,
        book.max_drawdown,
        book.max_drawdown_bps,
        book.start_equity,
        book.equity(mark),
        book.lots,
        mark,
    )


class _Market:
    """The replay's side of a candle: quotes at the open, sweeps along the path."""

    def __init__(self, venue: Venue, spread: int) -> None:
        self.venue = venue
        self.spread = spread
        self.next_id = MARKET_IDS

    def _place(self, side: Side, price: int, qty: int, tif: Tif) -> tuple[int, int]:
        self.next_id += 1
        place = Place(self.venue.ts, self.next_id, MARKET, side, Kind.LIMIT, qty, price, tif=tif)
        events = self.venue.process(place)
        return self.next_id, sum(event.qty for event in events if isinstance(event, Trade))

    def quote(self, candle: Candle) -> list[int]:
        if candle.volume == 0:
            return []
        bid = max(candle.open - self.spread, 1)
        ask = candle.open + self.spread
        return [
            self._place(side, price, candle.volume, Tif.GTC)[0]
            for side, price in ((Side.BUY, bid), (Side.SELL, ask))
        ]

    def withdraw(self, order_ids: Sequence[int]) -> None:
        for order_id in order_ids:
            if order_id in self.venue.engine.book.orders:
                self.venue.process(Cancel(self.venue.ts, order_id, MARKET))

    def sweep(self, candle: Candle) -> None:
        path = (
            (candle.low, candle.high, candle.close)
            if candle.close >= candle.open
            else (candle.high, candle.low, candle.close)
        )
        budget, price = candle.volume, candle.open
        for target in path:
            if budget > 0 and target != price:
                side = Side.SELL if target < price else Side.BUY
                budget -= self._place(side, target, budget, Tif.IOC)[1]
            price = target


def run_candles(
    spec: MarketSpec,
    candles: Sequence[Candle],
    strategy: Strategy,
    *,
    cash: int,
    lots: int = 0,
    spread: int = 1,
) -> Result:
    """Replay `candles` (oldest first) against `strategy`, which starts with `cash` quote units and `lots`."""
    venue = Venue(spec, Portfolio(spec, cash, lots))
    market = _Market(venue, spread)
    venue.portfolio.start(candles[0].open)
    last_close: int | None = None
    for candle in candles:
        venue.ts = candle.ts * MICROS
        quotes = market.quote(candle)
        view = MarketView(venue.ts, candle.open, last_close, venue.best(Side.BUY), venue.best(Side.SELL))
        strategy.on_bar(view, venue)
        market.withdraw(quotes)
        market.sweep(candle)
        venue.portfolio.mark(candle.close)
        last_close = candle.close
    return _result(strategy, len(candles), venue, candles[-1].close)


def run_flow(
    spec: MarketSpec, commands: Sequence[Command], strategy: Strategy, *, cash: int, lots: int = 0
) -> Result:
    """Replay a recorded flow, the strategy acting after each record once a trade has set a price."""
    venue = Venue(spec, Portfolio(spec, cash, lots))
    bars, previous = 0, None
    for command in commands:
        venue.ts = command.ts
        venue.process(command)
        mark = venue.last_price
        if mark is None:
            continue
        if bars == 0:
            venue.portfolio.start(mark)
        view = MarketView(venue.ts, mark, previous, venue.best(Side.BUY), venue.best(Side.SELL))
        strategy.on_bar(view, venue)
        mark = venue.last_price or mark  # the strategy may have traded
        venue.portfolio.mark(mark)
        bars, previous = bars + 1, mark
    if previous is None:
        raise BacktestInputError("the flow printed no trade: there is no price to value a strategy at")
    return _result(strategy, bars, venue, previous)
