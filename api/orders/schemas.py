"""The bodies of `/v1/orders`: prices and quantities as decimal strings, read exactly by the market.

A price is quote per one base ("12.34" tUSD per TPW) and a quantity base ("3" TPW); each must be a whole
number of the market's ticks and lots (`matching.markets.spec`), or the request is a 422 naming the field.
They are checked against the market in the service (the market is a field of the same body), so here they
are only strings of a plain decimal shape.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from api.ledger.schemas import LedgerId
from api.pagination import Page
from api.schemas import ApiModel

DecimalText = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{1,20}(\.[0-9]{1,18})?$", examples=["12.34"], description="A plain decimal string."
    ),
]
Side = Literal["buy", "sell"]
TimeInForce = Literal["gtc", "ioc", "fok"]
Status = Literal["open", "partially_filled", "filled", "canceled", "expired"]


class OrderCreate(ApiModel):
    """A limit order (a spot order always has a limit: `ioc` or `fok` take without resting)."""

    model_config = ConfigDict(extra="forbid")

    market: str = Field(max_length=32, examples=["TPW-tUSD"])
    """The market's id (`GET /v1/markets`), or `TPW-PERP` for the perpetual."""
    side: Side
    """`buy` spends quote for base, `sell` base for quote."""
    price: DecimalText
    """The limit: quote per one base, a whole number of the market's ticks."""
    qty: DecimalText
    """How much base, a whole number of the market's lots."""
    time_in_force: TimeInForce = "gtc"
    """`gtc` rests until canceled; `ioc` takes what it can now; `fok` all of it now or nothing."""
    post_only: bool = False
    """Refuse the order (409) rather than let it take liquidity; `gtc` only."""
    reduce_only: bool = False
    """Perpetuals only: the order may only shrink the position (`ioc` or `fok`), by at most its size."""
    step_up: str | None = Field(default=None, pattern=r"^psu_[0-9a-f]{24}$")
    """The confirmed step-up challenge of this very order (a derivative market's `step-up-required`)."""


class OrderAmend(ApiModel):
    """A new limit and/or a new total quantity for a resting order (within what it already holds)."""

    model_config = ConfigDict(extra="forbid")

    price: DecimalText | None = None
    """A new limit (the order moves to the back of its new level)."""
    qty: DecimalText | None = None
    """A new total quantity, above what has filled; smaller keeps the order's place."""


class OrderOut(ApiModel):
    """An order as it stands."""

    id: LedgerId
    """The order's id, as a decimal string."""
    object: Literal["order"] = "order"
    livemode: bool
    """False for a sandbox key's (paper-trading) order."""
    market: str
    side: Side
    price: str
    qty: str
    filled_qty: str
    """How much has traded so far."""
    time_in_force: TimeInForce
    status: Status
    reason: str | None
    """Why an order left the book with quantity open (`canceled`, `unfilled`, `self_trade`, `expired`)."""
    created_at: datetime
    updated_at: datetime


class Orders(Page[OrderOut]):
    """A page of the caller's orders, newest first."""
