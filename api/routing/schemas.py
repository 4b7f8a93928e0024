"""The bodies of `/v1/routes` and `/v1/parent-orders`: quantities and prices as the market's decimal
strings (whole lots and ticks, read exactly by `MarketSpec`), money as decimal strings of the quote."""

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from api.ledger.schemas import LedgerId
from api.orders.schemas import DecimalText, Side
from api.schemas import ApiModel

Strategy = Literal["twap", "vwap"]


class RouteQuoteIn(ApiModel):
    """An order to route, without executing it."""

    model_config = ConfigDict(extra="forbid")

    market: str = Field(max_length=32, examples=["TPW-tUSD"])
    side: Side
    qty: DecimalText
    """How much base, a whole number of the market's lots."""
    limit_price: DecimalText | None = None
    """The worst price a fill may have (quote per base); unset: any."""


class LegOut(ApiModel):
    """One venue's part of the route, or why it has none."""

    venue: str
    qty: str
    average_price: str | None
    """Quote per base before fees, rounded to 8 places (none when the venue takes nothing)."""
    notional: str
    impact: str
    """How much worse than all of `qty` at the venue's best price."""
    fee: str
    gas: str
    """A pool swap's gas in quote."""
    reason: str
    """`cheapest`, `marginal_cost`, `depth_exhausted`, `costlier`, `no_liquidity` or `unavailable`."""
    detail: str


class RouteQuoteOut(ApiModel):
    object: Literal["route"] = "route"
    market: str
    side: Side
    qty: str
    total: str
    """What the whole order costs (a buy) or yields (a sell) in quote, fees and gas included."""
    legs: list[LegOut]


class ParentOrderCreate(ApiModel):
    """A parent order sliced over time: TWAP (equal slices) or VWAP (slices weighted by the outside venue's
    recorded volume), each slice routed across the venues at most at `limit_price`."""

    model_config = ConfigDict(extra="forbid")

    market: str = Field(max_length=32, examples=["TPW-tUSD"])
    side: Side
    qty: DecimalText
    limit_price: DecimalText
    strategy: Strategy
    duration_seconds: int = Field(ge=1, le=7 * 86_400)
    """The window over which the slices are spread, from now."""
    slices: int = Field(ge=1, le=1_000)
    """How many intervals the window is cut into (VWAP: an interval without volume gets no slice)."""


class SliceLegOut(ApiModel):
    venue: str
    qty: str
    child_id: LedgerId
    """The child order's id (a book child is an order of the spot market)."""
    status: str
    """`planned`, `sending`, `done`, `failed`, or `unknown` (a pool swap a crash interrupted)."""
    filled_qty: str | None = None
    failure_reason: str | None = None
    """Why a `failed` leg was not traded: `insufficient_funds` (its hold was refused),
    `costs_exceed_proceeds`, a pre-trade problem's type, or the venue's error."""


class SliceOut(ApiModel):
    index: int
    due_at: datetime
    qty: str
    filled_qty: str
    status: Literal["scheduled", "executing", "done", "canceled"]
    legs: list[SliceLegOut]


class ParentOrderOut(ApiModel):
    id: LedgerId
    object: Literal["parent_order"] = "parent_order"
    livemode: bool
    market: str
    side: Side
    strategy: Strategy
    qty: str
    limit_price: str
    filled_qty: str
    total: str
    """What the fills so far cost (a buy) or yielded (a sell), fees and gas included."""
    status: Literal["active", "completed", "canceled"]
    start_at: datetime
    end_at: datetime
    slices: list[SliceOut]
    created_at: datetime
    updated_at: datetime
