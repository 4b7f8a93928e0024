"""The face a strategy sees: the market at a decision point and a broker to act through.

A strategy is called once per bar (a candle's open, or each record of an order flow) with what is known
then, never what comes after: a candle's high, low and close are replayed only after the strategy acted at
its open. It acts through the `Broker` (the backtest's venue), whose orders go to the matching engine as
any other participant's; an order the strategy cannot pay for is refused (None), as the spot market's hold
would refuse it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from matching.engine import Side, Tif


@dataclass(frozen=True, slots=True)
class MarketView:
    """The market at a decision point; prices in ticks (None: no such price yet)."""

    ts: int
    """The book's clock, µs."""
    mark: int
    """The price the strategy is valued at now: the candle's open, or the flow's last trade."""
    last_close: int | None
    """The previous candle's close (candles), or the previous mark (a flow)."""
    best_bid: int | None
    best_ask: int | None


@dataclass(frozen=True, slots=True)
class OpenOrder:
    side: Side
    price: int
    leaves: int


class Broker(Protocol):
    """The strategy's account at the venue."""

    @property
    def position(self) -> int:
        """Base held, in lots."""

    @property
    def orders(self) -> Mapping[int, OpenOrder]:
        """The strategy's orders in the book, by id."""

    def place(self, side: Side, price: int, qty: int, tif: Tif = Tif.GTC) -> int | None:
        """A limit order; its id, or None if refused (unfunded, or by the book)."""

    def cancel(self, order_id: int) -> None: ...

    def cancel_all(self) -> None: ...


class Strategy(Protocol):
    """What the backtest runs: `on_bar` is called at every decision point, in order."""

    name: str

    def on_bar(self, view: MarketView, broker: Broker) -> None: ...
