"""The orders behind `/v1/orders`: parse exactly, hand to the tenant's market, project what happened.

The market (`matching.spot.market`) is the truth: by the time it answers, the command is journaled and its
ledger transfers posted. What the service adds is the API's view: the `spot_orders` row of each order
(written, with the request's stored answer, in one transaction: `Progress.finish`), updated from the
command's events, the makers' rows included (a maker may be another tenant's: the projection is the
market's write, never the caller's read). Every read is tenant-scoped, so another merchant's order, or
the other mode's, answers 404 as one that does not exist.

Not yet: a crash between the market's answer and this transaction leaves the order in the book and the
ledger but not in the table; rebuilding the projection from the journal at open would close that gap.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import case, insert, update
from sqlalchemy.orm import Session

from api.idempotency.progress import Progress
from api.orders.errors import InvalidOrder, OrderNotFound, field_problem, rejected, spot_problem
from api.orders.pretrade.gate import PretradeGate
from api.orders.runtime import SpotMarkets, market_spec, trader_of
from api.orders.schemas import OrderAmend, OrderCreate, OrderOut, Orders
from api.orders.table import spot_orders
from api.pagination import Listing, key_part
from api.perps.runtime import TPW_PERP
from ledger.ids import new_id
from matching.engine import (
    Amended,
    Canceled,
    Decremented,
    Done,
    Event,
    Kind,
    Place,
    Rejected,
    Side,
    Tif,
    Trade,
)
from matching.markets import MarketSpecError, markets
from matching.perp_market.market import PerpMarket
from matching.perp_market.text import PerpUnits
from matching.spot.errors import SpotError
from matching.spot.market import SpotMarket
from payments.merchants.tenant import Tenant

ORDERS: Final = Listing("orders", (int,))
TIFS: Final = {"gtc": Tif.GTC, "ioc": Tif.IOC, "fok": Tif.FOK}
REASONS: Final = {Done.CANCELED: "canceled", Done.EXPIRED: "expired", Done.UNFILLED: "unfilled"}


def _now() -> datetime:
    return datetime.now(UTC)


def _market(spot_markets: SpotMarkets, tenant: Tenant, market_id: str) -> SpotMarket | PerpMarket:
    market = spot_markets.order_market(market_id, tenant.livemode)
    if market is None:
        raise InvalidOrder("market", f"no market {market_id!r}; known: {', '.join(markets())}")
    return market


def _view(row: Any) -> OrderOut:
    spec = market_spec(row.market) or PerpUnits(TPW_PERP)
    return OrderOut.model_validate(
        {
            "id": str(row.id),  # the id's decimal spelling, as every 63-bit id of the API
            "livemode": row.livemode,
            "market": row.market,
            "side": row.side,
            "price": spec.price_text(row.price_ticks),
            "qty": spec.qty_text(row.qty_lots),
            "filled_qty": spec.qty_text(row.filled_lots) if row.filled_lots else "0",
            "time_in_force": row.time_in_force,
            "status": row.status,
            "reason": row.reason,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


def _row(session: Session, tenant: Tenant, order_id: int) -> Any:
    row = session.execute(tenant.select(spot_orders).where(spot_orders.c.id == order_id)).first()
    if row is None:
        raise OrderNotFound(f"no order {order_id} of yours")
    return row


def project_events(session: Session, events: Sequence[Event], now: datetime) -> None:
    """Apply a command's events to the orders' rows, in order."""
    c = spot_orders.c
    for event in events:
        statement = None
        if isinstance(event, Trade):
            filled = c.filled_lots + event.qty
            for order_id in (event.taker_id, event.maker_id):
                session.execute(
                    update(spot_orders)
                    .where(c.id == order_id)
                    .values(
                        filled_lots=filled,
                        status=case((filled == c.qty_lots, "filled"), else_="partially_filled"),
                        updated_at=now,
                    )
                )
        elif isinstance(event, Canceled):
            status = "expired" if event.reason is Done.EXPIRED else "canceled"
            reason = REASONS.get(event.reason, event.reason.name.lower())
            statement = update(spot_orders).where(c.id == event.order_id).values(status=status, reason=reason)
        elif isinstance(event, Amended):
            statement = (
                update(spot_orders)
                .where(c.id == event.order_id)
                .values(price_ticks=event.price, qty_lots=c.filled_lots + event.qty)
            )
        elif isinstance(event, Decremented):
            for order_id in (event.taker_id, event.maker_id):
                session.execute(
                    update(spot_orders)
                    .where(c.id == order_id)
                    .values(qty_lots=c.qty_lots - event.qty, updated_at=now)
                )
        if statement is not None:
            session.execute(statement.values(updated_at=now))


def _answer(session: Session, progress: Progress, tenant: Tenant, order_id: int) -> OrderOut:
    view = _view(_row(session, tenant, order_id))
    progress.finish(lambda _: view)(None)
    session.commit()
    return view


def place(
    spot_markets: SpotMarkets,
    pretrade: PretradeGate,
    session: Session,
    tenant: Tenant,
    body: OrderCreate,
    progress: Progress,
) -> OrderOut:
    """Place the order once the pre-trade gate admits it; its row as the book left it (201), the gate's
    refusal (a 4xx naming the field and the limit: nothing held), or the book's (409)."""
    market = _market(spot_markets, tenant, body.market)
    try:
        price, qty = market.market.price_ticks(body.price, "price"), market.market.qty_lots(body.qty, "qty")
    except MarketSpecError as error:
        raise field_problem(error) from error
    if body.reduce_only and not isinstance(market, PerpMarket):
        raise InvalidOrder("reduce_only", "reduce_only is for perpetual orders")
    if body.post_only and body.time_in_force != "gtc":
        raise InvalidOrder("post_only", "post_only is for orders that rest (time_in_force gtc)")
    trader = trader_of(tenant)
    order_id = new_id()
    command = Place(
        0,
        order_id,
        trader,
        Side.BUY if body.side == "buy" else Side.SELL,
        Kind.LIMIT,
        qty,
        price,
        tif=TIFS[body.time_in_force],
        post_only=body.post_only,
        reduce_only=body.reduce_only,
    )
    try:
        with pretrade.admitting(
            market, body.market, tenant.merchant_id, trader, command, body.step_up
        ) as admitted:
            market.open_accounts(trader)
            events = market.place(admitted)
    except SpotError as error:
        raise spot_problem(error) from error
    refused = next(
        (event for event in events if isinstance(event, Rejected) and event.order_id == order_id), None
    )
    if refused is not None:
        raise rejected(refused.reason)
    now = _now()
    session.execute(
        insert(spot_orders).values(
            id=order_id,
            **tenant.values(),
            market=body.market,
            side=body.side,
            price_ticks=price,
            qty_lots=qty,
            filled_lots=0,
            time_in_force=body.time_in_force,
            status="open",
            created_at=now,
            updated_at=now,
        )
    )
    project_events(session, events, now)
    return _answer(session, progress, tenant, order_id)


def read(session: Session, tenant: Tenant, order_id: int) -> OrderOut:
    try:
        return _view(_row(session, tenant, order_id))
    finally:
        session.rollback()


def cancel(spot_markets: SpotMarkets, session: Session, tenant: Tenant, order_id: int) -> OrderOut:
    """Cancel the caller's order; one already done answers as it stands (a DELETE may be repeated)."""
    row = _row(session, tenant, order_id)
    session.rollback()
    market = _market(spot_markets, tenant, row.market)
    try:
        events = market.cancel(trader_of(tenant), order_id)
    except SpotError as error:
        raise spot_problem(error) from error
    project_events(session, [event for event in events if not isinstance(event, Rejected)], _now())
    view = _view(_row(session, tenant, order_id))
    session.commit()
    return view


def amend(
    spot_markets: SpotMarkets, session: Session, tenant: Tenant, order_id: int, body: OrderAmend
) -> OrderOut:
    """A new limit and/or total quantity for the caller's resting order, within what it holds."""
    row = _row(session, tenant, order_id)
    session.rollback()
    market = _market(spot_markets, tenant, row.market)
    try:
        price = market.market.price_ticks(body.price, "price") if body.price is not None else 0
        total = market.market.qty_lots(body.qty, "qty") if body.qty is not None else row.qty_lots
    except MarketSpecError as error:
        raise field_problem(error) from error
    if total <= row.filled_lots:
        raise InvalidOrder("qty", "the new quantity must be above what has filled")
    try:
        events = market.amend(trader_of(tenant), order_id, price, total - row.filled_lots)
    except SpotError as error:
        raise spot_problem(error, "qty" if body.qty is not None else "price") from error
    refused = next((event for event in events if isinstance(event, Rejected)), None)
    if refused is not None:
        raise rejected(refused.reason)
    project_events(session, events, _now())
    view = _view(_row(session, tenant, order_id))
    session.commit()
    return view


def listing(session: Session, tenant: Tenant, market: str | None, cursor: str | None, limit: int) -> Orders:
    """A page of the caller's orders, newest first (ids grow with time)."""
    filters = {"market": market or ""}
    after = ORDERS.decode(cursor, filters)
    query = tenant.select(spot_orders).order_by(spot_orders.c.id.desc()).limit(limit + 1)
    if market:
        query = query.where(spot_orders.c.market == market)
    if after is not None:
        query = query.where(spot_orders.c.id < key_part(after, 0, int))
    try:
        rows = session.execute(query).all()
    finally:
        session.rollback()
    page = ORDERS.page(
        [_view(row) for row in rows], limit, lambda order: (order.id,), cursor=cursor, filters=filters
    )
    return Orders(**dict(page))
