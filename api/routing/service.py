"""Routes and parent orders behind `/v1/routes/quote` and `/v1/parent-orders`: parse exactly, ask the
router, write the parent's whole schedule with the request's stored answer (one transaction), read and
cancel tenant-scoped (another merchant's parent, or the other mode's, answers 404)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from api.idempotency.progress import Progress
from api.orders.errors import InvalidOrder, field_problem
from api.orders.runtime import SpotMarkets
from api.routing.errors import ParentOrderNotFound
from api.routing.runner import ParentOrders
from api.routing.schemas import (
    LegOut,
    ParentOrderCreate,
    ParentOrderOut,
    RouteQuoteIn,
    RouteQuoteOut,
    SliceLegOut,
    SliceOut,
)
from api.routing.table import parent_orders, parent_slices
from ledger.ids import new_id
from matching.engine import Side
from matching.markets import MarketSpec, MarketSpecError, markets
from matching.markets.spec import units_text
from matching.routing import Fill, NoLiquidity, route, twap, vwap
from matching.spot.market import SpotMarket
from payments.merchants.tenant import Tenant

MICROS = 1_000_000


def _spot(spot_markets: SpotMarkets, tenant: Tenant, market_id: str) -> SpotMarket:
    spot = spot_markets.get(market_id, tenant.livemode)
    if spot is None:
        raise InvalidOrder("market", f"no market {market_id!r}; known: {', '.join(markets())}")
    return spot


def _parse(spec: MarketSpec, qty: str, limit: str | None) -> tuple[int, int | None]:
    try:
        lots = spec.qty_lots(qty, "qty")
        return lots, None if limit is None else spec.price_ticks(limit, "limit_price")
    except MarketSpecError as error:
        raise field_problem(error) from error


def _money(spec: MarketSpec, units: int) -> str:
    return units_text(units, spec.quote_decimals)


def _average(spec: MarketSpec, fill: Fill) -> str:
    """Quote per one base, to 8 places (display only: the amounts themselves are exact)."""
    with localcontext() as context:
        context.prec = 60
        price = Decimal(fill.notional * 10**spec.base_decimals) / Decimal(
            fill.lots * spec.base_per_lot * 10**spec.quote_decimals
        )
    return format(price.quantize(Decimal("1e-8"), rounding=ROUND_HALF_EVEN).normalize(), "f")


def quote(
    spot_markets: SpotMarkets, runner: ParentOrders, tenant: Tenant, body: RouteQuoteIn
) -> RouteQuoteOut:
    """The route the router would take now, each venue explained; nothing is executed."""
    spot = _spot(spot_markets, tenant, body.market)
    spec = spot.market
    lots, limit = _parse(spec, body.qty, body.limit_price)
    side = Side.BUY if body.side == "buy" else Side.SELL
    sources = runner.venues.sources(spot, side, limit, runner.clock(), livemode=tenant.livemode)
    try:
        chosen = route(sources.venues, side, lots)
    except NoLiquidity as error:
        raise InvalidOrder("qty", f"the venues cannot fill it within the limit ({error})") from error
    legs = [
        LegOut(
            venue=leg.venue,
            qty=spec.qty_text(leg.lots),
            average_price=_average(spec, leg.fill) if leg.fill else None,
            notional=_money(spec, leg.fill.notional if leg.fill else 0),
            impact=_money(spec, leg.fill.impact if leg.fill else 0),
            fee=_money(spec, leg.fill.fee if leg.fill else 0),
            gas=_money(spec, leg.fill.gas if leg.fill else 0),
            reason=leg.reason,
            detail=leg.detail,
        )
        for leg in chosen.legs
    ]
    legs += [
        LegOut(
            venue=name,
            qty="0",
            average_price=None,
            notional="0",
            impact="0",
            fee="0",
            gas="0",
            reason="unavailable",
            detail=why,
        )
        for name, why in sources.unavailable.items()
    ]
    total = chosen.cost if side is Side.BUY else -chosen.cost
    return RouteQuoteOut(
        market=body.market, side=body.side, qty=body.qty, total=_money(spec, total), legs=legs
    )


def _at(micros: int) -> datetime:
    return datetime.fromtimestamp(micros / MICROS, UTC)


def _view(session: Session, row: Any) -> ParentOrderOut:
    spec = markets()[row.market]
    slices = session.execute(
        parent_slices.select()
        .where(parent_slices.c.parent_id == row.id)
        .order_by(parent_slices.c.slice_index)
    ).all()
    views = [
        SliceOut(
            index=piece.slice_index,
            due_at=_at(piece.due_us),
            qty=spec.qty_text(piece.qty_lots),
            filled_qty=spec.qty_text(piece.filled_lots) if piece.filled_lots else "0",
            status=piece.status,
            legs=[
                SliceLegOut(
                    venue=leg["venue"],
                    qty=spec.qty_text(int(leg["lots"])),
                    child_id=leg["child_id"],
                    status=leg["status"],
                    filled_qty=spec.qty_text(int(leg["filled_lots"])) if leg.get("filled_lots") else None,
                    failure_reason=leg.get("reason") if leg["status"] == "failed" else None,
                )
                for leg in json.loads(piece.legs)
            ],
        )
        for piece in slices
    ]
    total = row.cost if row.side == "buy" else -row.cost
    return ParentOrderOut(
        id=str(row.id),  # type: ignore[arg-type]  # the decimal spelling, as every 63-bit id of the API
        livemode=row.livemode,
        market=row.market,
        side=row.side,
        strategy=row.strategy,
        qty=spec.qty_text(row.qty_lots),
        limit_price=spec.price_text(row.limit_ticks),
        filled_qty=spec.qty_text(row.filled_lots) if row.filled_lots else "0",
        total=_money(spec, total),
        status=row.status,
        start_at=_at(row.start_us),
        end_at=_at(row.end_us),
        slices=views,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _row(session: Session, tenant: Tenant, parent_id: int) -> Any:
    row = session.execute(tenant.select(parent_orders).where(parent_orders.c.id == parent_id)).first()
    if row is None:
        raise ParentOrderNotFound(f"no parent order {parent_id} of yours")
    return row


def create(
    spot_markets: SpotMarkets,
    runner: ParentOrders,
    session: Session,
    tenant: Tenant,
    body: ParentOrderCreate,
    progress: Progress,
) -> ParentOrderOut:
    """Write the parent and its whole schedule; its slices run as they fall due (`ParentOrders`)."""
    spec = _spot(spot_markets, tenant, body.market).market
    lots, limit = _parse(spec, body.qty, body.limit_price)
    assert limit is not None  # required by the schema
    start = runner.clock()
    end = start + body.duration_seconds * MICROS
    if body.strategy == "twap":
        schedule = twap(lots, start, end, body.slices)
    else:
        schedule = vwap(lots, start, end, runner.venues.profile(start, end, body.slices))
    parent_id, now = new_id(), datetime.now(UTC)
    session.execute(
        insert(parent_orders).values(
            id=parent_id,
            **tenant.values(),
            market=body.market,
            side=body.side,
            strategy=body.strategy,
            qty_lots=lots,
            limit_ticks=limit,
            start_us=start,
            end_us=end,
            filled_lots=0,
            cost=0,
            status="active",
            created_at=now,
            updated_at=now,
        )
    )
    session.execute(
        insert(parent_slices),
        [
            {
                "parent_id": parent_id,
                "slice_index": piece.index,
                "due_us": piece.due,
                "qty_lots": piece.lots,
                "filled_lots": 0,
                "cost": 0,
                "status": "scheduled",
                "legs": "[]",
                "updated_at": now,
            }
            for piece in schedule
        ],
    )
    view = _view(session, _row(session, tenant, parent_id))
    progress.finish(lambda _: view)(None)
    session.commit()
    return view


def read(session: Session, tenant: Tenant, parent_id: int) -> ParentOrderOut:
    try:
        return _view(session, _row(session, tenant, parent_id))
    finally:
        session.rollback()


def cancel(session: Session, tenant: Tenant, parent_id: int) -> ParentOrderOut:
    """No further slice runs (one executing now finishes); a parent already done answers as it stands."""
    row = _row(session, tenant, parent_id)
    if row.status == "active":
        now = datetime.now(UTC)
        session.execute(
            update(parent_orders)
            .where(parent_orders.c.id == parent_id, parent_orders.c.status == "active")
            .values(status="canceled", updated_at=now)
        )
        session.execute(
            update(parent_slices)
            .where(parent_slices.c.parent_id == parent_id, parent_slices.c.status == "scheduled")
            .values(status="canceled", updated_at=now)
        )
        session.commit()
    return read(session, tenant, parent_id)
