"""The bodies of `/v1/options`: every price, greek, quantity and amount a decimal string."""

from datetime import datetime
from typing import Literal

from api.schemas import ApiModel


class Greeks(ApiModel):
    """Per one TPW of underlying: delta, gamma; vega per 1.00 of volatility, theta per year, rho per 1.00
    of rate (Black-Scholes, `matching.options.pricing`), rounded to 12 places."""

    delta: str
    gamma: str
    vega: str
    theta: str
    rho: str


class SeriesOut(ApiModel):
    """A listed series and, while the underlying has a price and the series trades, its model marks."""

    id: str
    """The market id orders name (`POST /v1/orders`)."""
    object: Literal["option_series"] = "option_series"
    underlying: str
    quote: str
    right: Literal["call", "put"]
    strike: str
    """tUSD per TPW."""
    expiry: datetime
    contract_size: str
    """TPW per contract (one lot)."""
    status: Literal["trading", "expired", "settled"]
    underlying_price: str | None
    """The index (the spot book's last trade), tUSD per TPW; null before it has traded."""
    volatility: str | None
    """The surface's volatility for this series now."""
    model_price: str | None
    """The Black-Scholes price, tUSD per TPW, to 8 places."""
    mark: str | None
    """The model price in whole ticks (nearest, halves up): what margin and positions are valued at."""
    greeks: Greeks | None


class SeriesList(ApiModel):
    data: list[SeriesOut]


class PositionOut(ApiModel):
    """The caller's holding in one series: signed contracts (long > 0) and its open sells."""

    series: str
    qty: str
    """Contracts held: negative for a short."""
    open_sell_qty: str
    mark: str | None
    value: str | None
    """qty × mark × contract size, tUSD (negative for a short)."""


class MarginOut(ApiModel):
    """The caller's margin: what the scenario scan requires of its exposure now, and what is held."""

    requirement: str
    """tUSD: max(worst scenario liability, short-option minimum)."""
    held: str
    """tUSD in the caller's margin account."""
    worst_liability: str
    short_minimum: str
    worst_price_move: str
    """The underlying's move of the worst scenario, as a fraction ("0.15")."""
    worst_volatility_move: str


class Positions(ApiModel):
    livemode: bool
    data: list[PositionOut]
    margin: MarginOut | None
    """Null while the underlying has no price (nothing can be valued)."""
