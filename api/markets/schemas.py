"""The bodies of `/v1/markets`: every price and quantity a decimal string, as in `/v1/orders`."""

from datetime import datetime
from typing import Literal

from api.schemas import ApiModel


class MarketOut(ApiModel):
    """A market and its steps."""

    id: str
    base: str
    """The base currency ("TPW")."""
    quote: str
    """The quote currency ("tUSD")."""
    tick: str
    """The price step, quote per one base."""
    lot: str
    """The quantity step, in base."""
    maker_fee_bps: int
    taker_fee_bps: int


class Markets(ApiModel):
    data: list[MarketOut]


class Level(ApiModel):
    price: str
    qty: str


class BookOut(ApiModel):
    """The book's best levels, best first (bids highest first, asks lowest first)."""

    market: str
    livemode: bool
    bids: list[Level]
    asks: list[Level]


class TradeOut(ApiModel):
    id: str
    """`<journal seq>-<index>`: the trade's place in the market's history."""
    price: str
    qty: str
    taker_side: Literal["buy", "sell"]
    time: datetime


class Trades(ApiModel):
    market: str
    data: list[TradeOut]
    """Newest first."""


class CandleOut(ApiModel):
    start: datetime
    open: str
    high: str
    low: str
    close: str
    volume: str
    trades: int


class Candles(ApiModel):
    market: str
    interval: str
    data: list[CandleOut]
    """Newest first; intervals without a trade are left out."""


class Balance(ApiModel):
    currency: str
    available: str
    """What the caller may still trade with (its spot account's balance)."""
    held: str
    """What is reserved and not yet spent: its open orders' escrow in this market, and the holds of its
    routed legs in flight (or awaiting the operator, for a swap a crash interrupted)."""


class Balances(ApiModel):
    """The caller's spot balances in a market's two currencies, in its key's mode."""

    market: str
    livemode: bool
    data: list[Balance]


class StreamSnapshot(ApiModel):
    """`/v1/markets/{id}/stream`: the whole book as shown, just after update `seq`; the next update is
    `seq + 1`."""

    type: Literal["snapshot"] = "snapshot"
    market: str
    livemode: bool
    seq: int
    bids: list[Level]
    asks: list[Level]


class LevelChange(ApiModel):
    """The level of `side` at `price` now shows `qty` (`"0"`: it is gone)."""

    side: Literal["buy", "sell"]
    price: str
    qty: str


class StreamUpdate(ApiModel):
    """What one command did: every level it changed and the trades it printed, in the book's order."""

    type: Literal["update"] = "update"
    seq: int
    """The previous message's `seq` plus one: anything else means a message was missed (resync)."""
    time: datetime
    changes: list[LevelChange]
    trades: list[TradeOut]
