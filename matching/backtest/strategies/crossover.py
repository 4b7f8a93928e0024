"""A moving-average crossover: long `qty` lots while the fast average of closes is above the slow one.

The averages are of the last `fast` and `slow` closes the strategy has seen (a candle's previous close,
a flow's previous mark), compared in integers: fast above slow is `sum(fast) * slow > sum(slow) * fast`,
no division, no float. When fast crosses above slow and it holds nothing, it buys at the best ask; when it
crosses below, it sells what it holds at the best bid (both IOC: what the book cannot give is not
chased).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from matching.backtest.strategy import Broker, MarketView
from matching.engine import Side, Tif


@dataclass(slots=True)
class Crossover:
    fast: int = 5
    slow: int = 20
    qty: int = 10
    name: str = field(default="crossover", init=False)
    closes: deque[int] = field(default_factory=deque, init=False)
    above: bool | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be shorter than slow ({self.slow})")

    def on_bar(self, view: MarketView, broker: Broker) -> None:
        if view.last_close is None:
            return
        self.closes.append(view.last_close)
        if len(self.closes) > self.slow:
            self.closes.popleft()
        if len(self.closes) < self.slow:
            return
        fast_sum = sum(list(self.closes)[-self.fast :])
        above = fast_sum * self.slow > sum(self.closes) * self.fast
        crossed = self.above is not None and above != self.above
        self.above = above
        if not crossed:
            return
        if above and broker.position == 0 and view.best_ask is not None:
            broker.place(Side.BUY, view.best_ask, self.qty, Tif.IOC)
        elif not above and broker.position > 0 and view.best_bid is not None:
            broker.place(Side.SELL, view.best_bid, broker.position, Tif.IOC)
