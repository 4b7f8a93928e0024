"""The bodies of the perpetual's routes: sizes in TPW, prices in tUSD per TPW, money in tUSD, all decimal
strings (signed where a side or a payment's direction is meant: a short's size and a paid funding are
negative)."""

from typing import Literal

from pydantic import ConfigDict, Field

from api.orders.schemas import DecimalText
from api.pagination import Page
from api.schemas import ApiModel

MarginMode = Literal["cross", "isolated"]
Health = Literal["healthy", "margin_call", "liquidate"]


class PositionOut(ApiModel):
    """The caller's position in one perpetual market."""

    object: Literal["position"] = "position"
    market: str
    livemode: bool
    size: str
    """TPW, signed: long > 0, short < 0."""
    entry_price: str | None
    """The open lots' average entry price (null when flat)."""
    entry_value: str
    """tUSD, signed: the open lots' value at their fill prices."""
    mark_price: str
    unrealised_pnl: str
    realised_pnl: str
    margin_mode: MarginMode
    leverage: int


class Positions(ApiModel):
    object: Literal["list"] = "list"
    data: list[PositionOut]


class MarginOut(ApiModel):
    """The caller's margin in one perpetual market, at the mark."""

    object: Literal["margin"] = "margin"
    market: str
    livemode: bool
    wallet: str
    """The margin wallet (cross: the position's margin)."""
    isolated_margin: str
    """Set aside for an isolated position (it alone bears that position's loss)."""
    equity: str
    initial_margin: str
    maintenance_margin: str
    health: Health
    margin_mode: MarginMode
    leverage: int
    mark_price: str
    index_price: str


class MarginTransferCreate(ApiModel):
    """Collateral into (`deposit`: from the caller's tUSD balance) or out of (`withdraw`) the margin."""

    model_config = ConfigDict(extra="forbid")

    market: str = Field(max_length=32, examples=["TPW-PERP"])
    direction: Literal["deposit", "withdraw"]
    amount: DecimalText
    """tUSD, a whole number of its minor unit (0.000001)."""


class MarginTransferOut(ApiModel):
    id: str
    object: Literal["margin_transfer"] = "margin_transfer"
    market: str
    direction: Literal["deposit", "withdraw"]
    amount: str
    margin: MarginOut


class MarginSettings(ApiModel):
    """A new leverage and/or margin mode (the mode only while the position is flat)."""

    model_config = ConfigDict(extra="forbid")

    market: str = Field(max_length=32, examples=["TPW-PERP"])
    leverage: int | None = Field(default=None, ge=1, le=100)
    """1 up to the market's cap (5x): the domain refuses above it, naming this field."""
    margin_mode: MarginMode | None = None


class RecordOut(ApiModel):
    """One funding payment, margin call or liquidation step of the caller's."""

    object: Literal["perp_record"] = "perp_record"
    id: str
    """`<step>:<n>`: the journal step that made it and its place there."""
    market: str
    kind: str
    """funding_paid, margin_call, liquidation_started, liquidation_filled, taken_over, deleveraged, or
    insurance_moved."""
    ts: int
    """The market's clock, microseconds since the epoch."""
    size: str | None
    """TPW, signed: the trade that closes (liquidations), or null."""
    price: str | None
    """tUSD per TPW: the fill, bankruptcy or mark price, or null."""
    amount: str | None
    """tUSD, signed for funding (paid < 0); the fee to the insurance fund for a liquidation fill."""
    equity: str | None
    maintenance_margin: str | None
    rate_ppm: int | None
    """Funding rate in parts per million of the notional for the interval (positive: longs paid)."""
    tier: str | None
    reason: str | None


class Records(Page[RecordOut]):
    """A page of the caller's records, newest first."""
