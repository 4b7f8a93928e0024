"""The perpetual's reads and money moves behind `/v1/positions`, `/v1/margin`, `/v1/funding` and
`/v1/liquidations`: the caller's trader (derived from merchant and mode, `api.orders.runtime.trader_of`)
in the market of its key's mode. Nothing here can name another merchant's trader, so another's
positions, margin and records are unreachable rather than filtered.

A margin transfer is money: its id is saved as the Idempotency-Key's recovery point before the market
moves anything, so a retry after a crash carries on with the same id, which the market answers once
(`PerpMarket.transfers_done`; a deposit's ledger move is keyed by it too).
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.orm import Session

from api.errors import ApiError
from api.idempotency.progress import Progress
from api.orders.errors import InvalidOrder, field_problem, spot_problem
from api.orders.runtime import trader_of
from api.pagination import Listing, key_part
from api.perps.runtime import PERP_MARKETS, PerpMarkets
from api.perps.schemas import (
    MarginOut,
    MarginSettings,
    MarginTransferCreate,
    MarginTransferOut,
    PositionOut,
    Positions,
    RecordOut,
    Records,
)
from ledger.ids import new_id
from matching.markets import MarketSpecError
from matching.perp_market.market import PerpMarket
from matching.perp_market.records import LIQUIDATION_KINDS, perp_records
from matching.perp_market.text import amount_units, money_text, price_text, qty_text
from matching.perpetuals.accounts import MarginMode
from matching.perpetuals.margin import Health
from matching.spot.errors import SpotError
from payments.merchants.tenant import Tenant

RECORDS: Final = Listing("perp_records", (int, str, int))
MODES: Final = {"cross": MarginMode.CROSS, "isolated": MarginMode.ISOLATED}
STARTED: Final = "transfer_started"


def _market(markets: PerpMarkets, tenant: Tenant, market_id: str) -> PerpMarket:
    if market_id not in PERP_MARKETS:
        raise InvalidOrder("market", f"no perpetual market {market_id!r}; known: {', '.join(PERP_MARKETS)}")
    return markets.get(tenant.livemode)


def _refused(error: SpotError) -> ApiError:
    return spot_problem(error, getattr(error, "field", "amount"))


def margin(markets: PerpMarkets, tenant: Tenant, market_id: str) -> MarginOut:
    market = _market(markets, tenant, market_id)
    spec = market.spec
    index, mark = market.prices()
    found = market.account(trader_of(tenant))
    wallet = isolated = equity = initial = maintenance = 0
    health, mode, leverage = Health.HEALTHY, MarginMode.CROSS, spec.default_leverage
    if found is not None:
        account, state, mark = found
        wallet, isolated, mode, leverage = (
            account.collateral,
            account.isolated_margin,
            account.mode,
            account.leverage,
        )
        equity, initial, maintenance, health = state.equity, state.initial, state.maintenance, state.health
    return MarginOut(
        market=market_id,
        livemode=tenant.livemode,
        wallet=money_text(wallet),
        isolated_margin=money_text(isolated),
        equity=money_text(equity),
        initial_margin=money_text(initial),
        maintenance_margin=money_text(maintenance),
        health=health.name.lower(),  # type: ignore[arg-type]
        margin_mode=mode.name.lower(),  # type: ignore[arg-type]
        leverage=leverage,
        mark_price=price_text(spec, mark),
        index_price=price_text(spec, index),
    )


def positions(markets: PerpMarkets, tenant: Tenant) -> Positions:
    """The caller's positions (one per perpetual market it has margin in)."""
    out = []
    for market_id in sorted(PERP_MARKETS):
        market = _market(markets, tenant, market_id)
        found = market.account(trader_of(tenant))
        if found is None:
            continue
        account, _, mark = found
        spec, pos = market.spec, account.position
        entry = (
            price_text(spec, abs(pos.entry_value) // (abs(pos.size) * spec.multiplier)) if pos.size else None
        )
        out.append(
            PositionOut(
                market=market_id,
                livemode=tenant.livemode,
                size=qty_text(spec, pos.size),
                entry_price=entry,
                entry_value=money_text(pos.entry_value),
                mark_price=price_text(spec, mark),
                unrealised_pnl=money_text(pos.unrealised(mark, spec)),
                realised_pnl=money_text(pos.realised_pnl),
                margin_mode=account.mode.name.lower(),  # type: ignore[arg-type]
                leverage=account.leverage,
            )
        )
    return Positions(data=out)


def transfer(
    markets: PerpMarkets, session: Session, tenant: Tenant, body: MarginTransferCreate, progress: Progress
) -> MarginTransferOut:
    """Deposit or withdraw collateral, exactly once per Idempotency-Key."""
    market = _market(markets, tenant, body.market)
    try:
        amount = amount_units(body.amount)
    except MarketSpecError as error:
        raise field_problem(error) from error
    if progress.resumed:
        transfer_id = int(progress.data["transfer_id"])
    else:
        transfer_id = new_id()
        progress.save(STARTED, transfer_id=transfer_id)
    trader = trader_of(tenant)
    try:
        if body.direction == "deposit":
            market.deposit(trader, transfer_id, amount)
        else:
            market.withdraw(trader, transfer_id, amount)
    except SpotError as error:
        raise _refused(error) from error
    view = MarginTransferOut(
        id=str(transfer_id),
        market=body.market,
        direction=body.direction,
        amount=money_text(amount),
        margin=margin(markets, tenant, body.market),
    )
    progress.respond(view)
    return view


def configure(markets: PerpMarkets, tenant: Tenant, body: MarginSettings) -> MarginOut:
    """A new leverage and/or margin mode; what is not given stays."""
    market = _market(markets, tenant, body.market)
    found = market.account(trader_of(tenant))
    mode = found[0].mode if found is not None else MarginMode.CROSS
    leverage = found[0].leverage if found is not None else market.spec.default_leverage
    try:
        market.configure(
            trader_of(tenant),
            int(MODES[body.margin_mode] if body.margin_mode else mode),
            body.leverage or leverage,
        )
    except SpotError as error:
        raise _refused(error) from error
    return margin(markets, tenant, body.market)


def _record(market: PerpMarket, row: Any) -> RecordOut:
    spec = market.spec

    def money(value: int | None) -> str | None:
        return None if value is None else money_text(value)

    return RecordOut(
        id=f"{row.step}:{row.n}",
        market=row.market.removesuffix(".sandbox"),
        kind=row.kind,
        ts=row.ts,
        size=None if row.lots is None else qty_text(spec, row.lots),
        price=None if row.price is None else price_text(spec, row.price),
        amount=money(row.amount),
        equity=money(row.equity),
        maintenance_margin=money(row.maintenance),
        rate_ppm=row.rate_ppm,
        tier=row.tier,
        reason=row.reason,
    )


def records(
    markets: PerpMarkets,
    session: Session,
    tenant: Tenant,
    kinds: tuple[str, ...],
    cursor: str | None,
    limit: int,
) -> Records:
    """A page of the caller's records of `kinds`, newest first (by the market's clock, then step)."""
    market = markets.get(tenant.livemode)
    listing = f"{RECORDS.name}:{','.join(kinds)}"
    filters = {"kinds": listing}
    after = RECORDS.decode(cursor, filters)
    c = perp_records.c
    query = (
        select(perp_records)
        .where(c.market == market.id, c.trader == trader_of(tenant), c.kind.in_(kinds))
        .order_by(c.ts.desc(), c.step.desc(), c.n.desc())
        .limit(limit + 1)
    )
    if after is not None:
        ts, step, n = key_part(after, 0, int), key_part(after, 1, str), key_part(after, 2, int)
        query = query.where(
            or_(c.ts < ts, and_(c.ts == ts, tuple_(c.step, c.n) < tuple_(step, n)))  # keyset, newest first
        )
    try:
        rows = session.execute(query).all()
    finally:
        session.rollback()
    page = RECORDS.page(
        [(row.ts, row.step, row.n, _record(market, row)) for row in rows],
        limit,
        lambda item: item[:3],
        cursor=cursor,
        filters=filters,
    )
    return Records(data=[item[3] for item in page.data], has_more=page.has_more, next_cursor=page.next_cursor)


FUNDING_KINDS: Final = ("funding_paid",)
LIQUIDATION_FEED: Final = ("margin_call", *LIQUIDATION_KINDS, "insurance_moved")
