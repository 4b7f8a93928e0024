"""A grid market maker: resting bids and asks at fixed steps either side of the price, re-laid every bar.

At each bar it cancels what it has resting and lays `levels` bids `step` ticks apart below the mark and
`levels` asks above it, `qty` lots each, the nearest `offset` ticks away. A bid is laid only if it is
funded and an ask only from base held (the venue refuses the rest), so it never shorts or borrows. It
earns the spread when the price oscillates through the grid, and holds inventory when it trends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from matching.backtest.strategy import Broker, MarketView
from matching.engine import Side


@dataclass(slots=True)
class Grid:
    levels: int = 5
    step: int = 2
    """Ticks between two levels of one side."""
    offset: int = 1
    """Ticks from the mark to the nearest level."""
    qty: int = 1
    """Lots a level."""
    name: str = field(default="grid", init=False)

    def on_bar(self, view: MarketView, broker: Broker) -> None:
        broker.cancel_all()
        for level in range(self.levels):
            distance = self.offset + level * self.step
            if view.mark - distance > 0:
                broker.place(Side.BUY, view.mark - distance, self.qty)
            broker.place(Side.SELL, view.mark + distance, self.qty)
