"""A strategy for the tests: one resting order, placed once, at the first bar."""

from dataclasses import dataclass, field

from matching.backtest.strategy import Broker, MarketView
from matching.engine import Side


@dataclass
class Fixed:
    side: Side
    price: int
    qty: int
    name: str = "fixed"
    placed: bool = field(default=False, init=False)

    def on_bar(self, view: MarketView, broker: Broker) -> None:
        if not self.placed:
            self.placed = broker.place(self.side, self.price, self.qty) is not None
