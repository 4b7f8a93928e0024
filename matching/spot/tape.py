"""A market's recent trades and the candles made of them: market data rebuilt from the journal.

Every trade the book printed is in the journal's replay, so the tape needs no storage of its own: the
market records trades as it applies commands, at open (the replay) as while serving. It keeps the last
`capacity` trades in memory; candles are aggregated from them on request, so a candle older than the tape
is not served (an archive of trades is later work).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from matching.engine import Event, Trade


@dataclass(frozen=True, slots=True)
class TapeTrade:
    """A printed trade: journal seq of its command, its index there, the book's clock (µs), ticks, lots, the
    aggressor's side, and both orders' ids (a routed child's fill is read back by its id after a crash)."""

    seq: int
    index: int
    ts: int
    price: int
    qty: int
    taker_side: int
    taker_id: int = 0
    maker_id: int = 0


@dataclass(frozen=True, slots=True)
class Candle:
    """Open, high, low, close in ticks and volume in lots over [start, start + interval) µs."""

    start: int
    open: int
    high: int
    low: int
    close: int
    volume: int
    trades: int


class Tape:
    """The last `capacity` trades, oldest first."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.trades: deque[TapeTrade] = deque(maxlen=capacity)

    def record(self, seq: int, ts: int, events: Sequence[Event]) -> list[TapeTrade]:
        """Record the trades among command `seq`'s events; those trades."""
        printed: list[TapeTrade] = []
        for event in events:
            if isinstance(event, Trade):
                printed.append(
                    TapeTrade(
                        seq,
                        len(printed),
                        ts,
                        event.price,
                        event.qty,
                        event.taker_side,
                        event.taker_id,
                        event.maker_id,
                    )
                )
        self.trades.extend(printed)
        return printed

    def recent(self, limit: int) -> list[TapeTrade]:
        """The newest `limit` trades, newest first."""
        return [self.trades[-i] for i in range(1, min(limit, len(self.trades)) + 1)]

    def candles(self, interval: int, limit: int) -> list[Candle]:
        """The newest `limit` candles of `interval` µs that hold a trade, newest first."""
        found: dict[int, Candle] = {}
        for trade in self.trades:
            start = trade.ts - trade.ts % interval
            candle = found.get(start)
            if candle is None:
                found[start] = Candle(start, trade.price, trade.price, trade.price, trade.price, trade.qty, 1)
            else:
                found[start] = Candle(
                    start,
                    candle.open,
                    max(candle.high, trade.price),
                    min(candle.low, trade.price),
                    trade.price,
                    candle.volume + trade.qty,
                    candle.trades + 1,
                )
        return [found[start] for start in sorted(found, reverse=True)[:limit]]
