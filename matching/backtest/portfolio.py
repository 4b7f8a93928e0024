"""What the strategy owns, in ledger minor units: cash, base, cost basis, realised PnL, fees, drawdown.

Cost is average cost: a sale removes `cost * sold // held` of the cost basis (floored; the remainder stays
in the basis and is realised with the last unit), so lifetime realised PnL is exactly what was sold minus
what was bought, less fees. Fees are realised as they are paid. Hence, exactly, at any mark:

    equity - starting equity == realised + unrealised,   unrealised = value at the mark - cost basis

because `cash + cost - realised` never changes. Base held starts at a whole number of lots, valued (and
costed) at the first mark, and moves only by whole lots, so its value at a mark is a product of integers.
"""

from __future__ import annotations

from dataclasses import dataclass

from matching.engine import Side
from matching.markets import MarketSpec


@dataclass(slots=True)
class Portfolio:
    spec: MarketSpec
    cash: int
    """Quote units."""
    lots: int
    """Base held, in lots."""
    cost: int = 0
    """Quote units paid for the base held (the average-cost basis)."""
    realised: int = 0
    fees: int = 0
    fills: int = 0
    volume_lots: int = 0
    volume_quote: int = 0
    start_equity: int = 0
    peak: int = 0
    max_drawdown: int = 0
    """The largest fall of equity from its previous peak, in quote units."""
    max_drawdown_bps: int = 0
    """The largest fall from a peak as basis points of that peak (floored)."""

    def start(self, mark: int) -> None:
        """Value and cost the starting base at `mark` (the first price seen)."""
        self.cost = self.spec.notional(self.lots, mark)
        self.start_equity = self.peak = self.equity(mark)

    def value(self, mark: int) -> int:
        return self.spec.notional(self.lots, mark)

    def equity(self, mark: int) -> int:
        return self.cash + self.value(mark)

    def unrealised(self, mark: int) -> int:
        return self.value(mark) - self.cost

    def fill(self, side: Side, price: int, lots: int, fee_bps: int) -> None:
        """The strategy bought or sold `lots` at `price` ticks, paying `fee_bps` of the notional."""
        notional = self.spec.notional(lots, price)
        fee = self.spec.fee(notional, fee_bps)
        if side is Side.BUY:
            self.cash -= notional + fee
            self.cost += notional
            self.lots += lots
        else:
            removed = self.cost * lots // self.lots
            self.cash += notional - fee
            self.cost -= removed
            self.lots -= lots
            self.realised += notional - removed
        self.realised -= fee
        self.fees += fee
        self.fills += 1
        self.volume_lots += lots
        self.volume_quote += notional

    def mark(self, price: int) -> None:
        """Mark to `price`: track the peak and the drawdown from it."""
        equity = self.equity(price)
        self.peak = max(self.peak, equity)
        fall = self.peak - equity
        if fall > self.max_drawdown:
            self.max_drawdown = fall
        if self.peak > 0:
            self.max_drawdown_bps = max(self.max_drawdown_bps, fall * 10_000 // self.peak)
