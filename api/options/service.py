"""The views of `/v1/options`: the venue's series with their model marks, a trader's positions and margin.

Marks are computed at the moment of the request from the surface and the index (nothing is stored). An
underlying without a price yet (the spot book never traded) leaves the marks null rather than failing:
the series are still listed, and orders still reach the book (a sell is then refused: margin cannot be
computed without a price).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

from api.options import schemas
from api.options.runtime import OptionVenues
from api.orders.runtime import trader_of
from matching.markets.spec import units_text
from matching.options.series import UNIT_DECIMALS, OptionSeries
from matching.options_market.errors import NoIndexPrice
from matching.options_market.venue import OptionVenue
from payments.merchants.tenant import Tenant

GREEK_PLACES: Final = Decimal("1e-12")
PRICE_PLACES: Final = Decimal("1e-8")


def _text(value: Decimal, places: Decimal = GREEK_PLACES) -> str:
    text = format(value.quantize(places), "f")
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("-0", "") else text


def _spot(venue: OptionVenue) -> Decimal | None:
    try:
        return venue.spot()
    except NoIndexPrice:
        return None


def _status(venue: OptionVenue, series: OptionSeries) -> str:
    book = venue.books[series.id]
    if not book.expired():
        return "trading"
    return "settled" if book.settled() else "expired"


def _series_view(venue: OptionVenue, series: OptionSeries, spot: Decimal | None) -> schemas.SeriesOut:
    spec = series.spec()
    status = _status(venue, series)
    marks: dict[str, object] = {"volatility": None, "model_price": None, "mark": None, "greeks": None}
    if spot is not None and status == "trading":
        quote = venue.quote(series, spot)
        valuation = quote.valuation
        marks = {
            "volatility": _text(quote.vol),
            "model_price": _text(valuation.price, PRICE_PLACES),
            "mark": spec.price_text(quote.mark_ticks) if quote.mark_ticks else "0",
            "greeks": schemas.Greeks(
                delta=_text(valuation.delta),
                gamma=_text(valuation.gamma),
                vega=_text(valuation.vega),
                theta=_text(valuation.theta),
                rho=_text(valuation.rho),
            ),
        }
    return schemas.SeriesOut.model_validate(
        {
            "id": series.id,
            "underlying": "TPW",
            "quote": "tUSD",
            "right": series.right.value,
            "strike": spec.price_text(series.strike_ticks),
            "expiry": datetime.fromtimestamp(series.expiry_us // 1_000_000, UTC),
            "contract_size": spec.qty_text(1),
            "status": status,
            "underlying_price": None if spot is None else _text(spot, PRICE_PLACES),
            **marks,
        }
    )


def series(venues: OptionVenues, tenant: Tenant) -> schemas.SeriesList:
    venue = venues.venue(tenant.livemode)
    spot = _spot(venue)
    return schemas.SeriesList(data=[_series_view(venue, book.series, spot) for book in venue.books.values()])


def _money(units: int) -> str:
    return units_text(units, UNIT_DECIMALS)


def positions(venues: OptionVenues, tenant: Tenant) -> schemas.Positions:
    """The caller's positions in its mode's venue, valued at the marks, and its margin."""
    venue = venues.venue(tenant.livemode)
    trader = trader_of(tenant)
    spot = _spot(venue)
    views = []
    for position in venue.positions(trader):
        spec = position.series.spec()
        mark = value = None
        if spot is not None and _status(venue, position.series) == "trading":
            ticks = venue.quote(position.series, spot).mark_ticks
            mark = spec.price_text(ticks) if ticks else "0"
            signed = spec.notional(abs(position.lots), ticks) * (1 if position.lots >= 0 else -1)
            value = _money(signed) if signed >= 0 else "-" + _money(-signed)
        qty = spec.qty_text(abs(position.lots)) if position.lots else "0"
        views.append(
            schemas.PositionOut(
                series=position.series.id,
                qty=qty if position.lots >= 0 else "-" + qty,
                open_sell_qty=spec.qty_text(position.open_sell_lots) if position.open_sell_lots else "0",
                mark=mark,
                value=value,
            )
        )
    margin = None
    if spot is not None:
        scan = venue.margin(trader)
        margin = schemas.MarginOut(
            requirement=_money(scan.requirement),
            held=_money(venue.held_margin(trader)),
            worst_liability=_money(scan.worst_liability),
            short_minimum=_money(scan.short_minimum),
            worst_price_move=_text(scan.worst_price_move),
            worst_volatility_move=_text(scan.worst_vol_move),
        )
    return schemas.Positions(livemode=tenant.livemode, data=views, margin=margin)
