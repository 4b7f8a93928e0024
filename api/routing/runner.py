"""The parent orders' executor: every due slice routed and its legs executed, resumable after a crash.

A slice runs in three kinds of commits. (1) Claim: `scheduled` -> `executing` with its planned legs (venue,
lots, child id, `planned`), only if still `scheduled`, so two runners never both take it. (2) Each leg:
marked `sending` (committed) before it is sent, then its result (`done` with lots, notional, fee, gas, or
`failed` with the reason). (3) The slice `done`, its fill added to the parent's, in one transaction.

After a crash a slice is found `executing` and carried on: a `planned` leg was never sent and is sent now;
a `sending` book leg is read back from the book (`recovered_fill`: the book refuses its id a second time
anyway); a `sending` pool leg may have been mined, so it is never resent: it is `unknown`, for an operator
to reconcile from the routing account's transactions. Nothing is executed twice.

Every leg moves the merchant's ledger balances. A book leg is an order the spot market posts; a pool or
outside leg reserves what it may cost (a pending transfer to the venue's clearing account) in the commit
that marks it `sending`, and is settled at what it traded, or given back, in the commit of its result
(`api.routing.postings`); an `unknown` pool leg keeps its hold for the operator. Sandbox (paper-trading)
parents use every venue; a live parent uses the book and the pool, never the outside venue, which is a
recording with nobody behind it (`LiveVenues.sources`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from api.errors import ApiError
from api.orders.pretrade.gate import PretradeGate
from api.orders.runtime import SpotMarkets, trader_of
from api.routing.execution import (
    Admission,
    Executed,
    child_id,
    execute_book,
    execute_outside,
    execute_pool,
    project_child,
    recovered_fill,
    swap_account,
)
from api.routing.postings import Leg, LegLedger
from api.routing.table import parent_orders, parent_slices
from api.routing.venues import BOOK, OUTSIDE, POOL, LiveVenues, Sources
from chain.deployments import Deployments
from chain.errors import ChainError
from chain.liquidity import pool_tokens
from matching.engine import Side
from matching.routing import Fill, NoLiquidity, route
from matching.routing.venues import PoolVenue
from matching.routing.venues.replay import LimitedReplay
from matching.spot.errors import SpotError
from matching.spot.market import SpotMarket
from payments.merchants.tenant import Tenant

log = logging.getLogger("api.routing")
Clock = Callable[[], int]


def wall_micros() -> int:
    return time.time_ns() // 1_000


def _now() -> datetime:
    return datetime.now(UTC)


class ParentOrders:
    """Runs the due slices of every active parent (`run_due`), one round at a time."""

    def __init__(
        self,
        engine: Engine,
        markets: SpotMarkets,
        venues: LiveVenues,
        clock: Clock = wall_micros,
        gate: Callable[[], PretradeGate | None] = lambda: None,
    ) -> None:
        self.engine = engine
        self.markets = markets
        self.venues = venues
        self.clock = clock
        self.gate = gate
        """The pre-trade gate book children pass (read when a leg runs: the app builds it at start)."""
        self.ledger = LegLedger()
        self._round = threading.Lock()

    def run_due(self) -> int:
        """Execute every slice due by now (and any a crash left `executing`); how many."""
        with self._round, Session(self.engine) as session:
            now = self.clock()
            due = session.execute(
                select(
                    parent_slices,
                    parent_orders.c.merchant_id,
                    parent_orders.c.livemode,
                    parent_orders.c.market,
                    parent_orders.c.side,
                    parent_orders.c.limit_ticks,
                )
                .join(parent_orders, parent_orders.c.id == parent_slices.c.parent_id)
                .where(
                    or_(
                        (parent_orders.c.status == "active") & (parent_slices.c.status == "scheduled"),
                        parent_slices.c.status == "executing",  # even if canceled since: finish it
                    ),
                    parent_slices.c.due_us <= now,
                )
                .order_by(parent_slices.c.due_us, parent_slices.c.parent_id, parent_slices.c.slice_index)
            ).all()
            session.rollback()
            for row in due:
                self._run_slice(session, row, now)
            return len(due)

    def _run_slice(self, session: Session, row: Any, now: int) -> None:
        tenant = Tenant(row.merchant_id, row.livemode)
        spot = self.markets.get(row.market, row.livemode)
        if spot is None:
            return
        side = Side.BUY if row.side == "buy" else Side.SELL
        sources = self.venues.sources(spot, side, row.limit_ticks, now, livemode=row.livemode, executing=True)
        legs: list[dict[str, Any]]
        if row.status == "scheduled":
            legs = self._plan(row, sources, side)
            claimed = session.execute(
                update(parent_slices)
                .where(self._key(row), parent_slices.c.status == "scheduled")
                .values(status="executing", legs=json.dumps(legs), updated_at=_now())
            )
            session.commit()
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return
        else:
            legs = json.loads(row.legs)
        for leg in legs:
            if leg["status"] in ("planned", "sending"):
                self._run_leg(session, row, leg, legs, spot, tenant, side, sources)
        self._finish(session, row, legs)

    @staticmethod
    def _key(row: Any) -> Any:
        return (parent_slices.c.parent_id == row.parent_id) & (parent_slices.c.slice_index == row.slice_index)

    def _plan(self, row: Any, sources: Sources, side: Side) -> list[dict[str, Any]]:
        """The slice's legs as the router splits it now; what it cannot fill within the limit is left."""
        lots = row.qty_lots
        available = sum(venue.capacity(side) for venue in sources.venues)
        if available == 0:
            return []
        try:
            chosen = route(sources.venues, side, min(lots, available))
        except NoLiquidity:
            return []
        return [
            {
                "venue": leg.venue,
                "lots": leg.lots,
                "child_id": str(child_id(row.parent_id, row.slice_index, leg.venue)),
                "status": "planned",
            }
            for leg in chosen.legs
            if leg.lots
        ]

    def _save(self, session: Session, row: Any, legs: list[dict[str, Any]]) -> None:
        session.execute(
            update(parent_slices).where(self._key(row)).values(legs=json.dumps(legs), updated_at=_now())
        )
        session.commit()

    def _run_leg(
        self,
        session: Session,
        row: Any,
        leg: dict[str, Any],
        legs: list[dict[str, Any]],
        spot: SpotMarket,
        tenant: Tenant,
        side: Side,
        sources: Sources,
    ) -> None:
        order_id = int(leg["child_id"])
        if leg["status"] == "sending":  # a crash came between sending and recording
            if leg["venue"] == BOOK:
                lots = int(leg["lots"])
                found = recovered_fill(spot, order_id, side, lots)
                if found is not None:
                    executed, events = found
                    project_child(session, tenant, spot, order_id, side, lots, row.limit_ticks, events)
                    self._record(leg, executed)
                    self._save(session, row, legs)
                    return
            elif leg["venue"] == POOL:
                leg["status"] = "unknown"
                self._save(session, row, legs)
                return
        held = None
        if leg["venue"] != BOOK:  # the trader's money reserved in the transaction that marks it sending
            held = Leg(spot.market, leg["venue"], order_id, trader_of(tenant), side)
            try:
                refusal = self.ledger.hold(session, spot, held, self._quote(leg, side, sources))
            except NoLiquidity:
                refusal = NoLiquidity.__name__
            if refusal is not None:
                leg.update(status="failed", reason=refusal)
                self._save(session, row, legs)
                return
        leg["status"] = "sending"
        self._save(session, row, legs)
        try:
            if leg["venue"] == BOOK:
                lots = int(leg["lots"])
                gate = self.gate()
                admission = None if gate is None else Admission(gate, tenant.merchant_id)
                executed, events = execute_book(
                    spot, order_id, trader_of(tenant), side, lots, row.limit_ticks, admission
                )
                project_child(session, tenant, spot, order_id, side, lots, row.limit_ticks, events)
            else:
                executed = self._execute(leg, side, row.limit_ticks, spot, sources)
        except ApiError as error:  # refused by the pre-trade checks (a kill switch, a limit)
            leg.update(status="failed", reason=error.problem)
            log.warning("routed leg refused", extra={"venue": leg["venue"], "reason": error.problem})
        except (SpotError, ChainError, NoLiquidity, ValueError, OSError) as error:
            leg.update(status="failed", reason=type(error).__name__)
            log.warning("routed leg failed", extra={"venue": leg["venue"], "reason": type(error).__name__})
        else:
            self._record(leg, executed)
        if held is not None:  # settled or given back with the leg's result
            self.ledger.resolve(session, held, executed if leg["status"] == "done" else None)
        self._save(session, row, legs)

    def _quote(self, leg: dict[str, Any], side: Side, sources: Sources) -> Fill:
        """What a pool or outside leg's venue quotes for it now (what its hold covers)."""
        venue = next((v for v in sources.venues if v.name == leg["venue"]), None)
        if venue is None:
            raise NoLiquidity(f"the venue {leg['venue']} is not available now")
        return venue.quote(side, int(leg["lots"]))

    def _execute(
        self, leg: dict[str, Any], side: Side, limit: int, spot: SpotMarket, sources: Sources
    ) -> Executed:
        """A pool or outside leg (a book leg is placed by `_run_leg`, which projects its events)."""
        lots = int(leg["lots"])
        venue = next((v for v in sources.venues if v.name == leg["venue"]), None)
        if leg["venue"] == OUTSIDE and isinstance(venue, LimitedReplay):
            return execute_outside(venue, side, lots)
        if leg["venue"] == POOL and isinstance(venue, PoolVenue) and sources.pool is not None:
            settings = self.venues.settings
            assert settings.routing_swap_key_path is not None  # `sources` leaves the pool out otherwise
            registry = Deployments.load(settings.l1_deployments_network, settings.deployments_dir)
            quoted = venue.quote(side, lots)
            floor = spot.market.notional(lots, limit)
            return execute_pool(
                sources.pool,
                pool_tokens(registry),
                swap_account(settings.routing_swap_key_path),
                quoted,
                venue.base_per_lot,
                floor,
            )
        raise NoLiquidity(f"the venue {leg['venue']} is not available now")

    @staticmethod
    def _record(leg: dict[str, Any], executed: Executed) -> None:
        leg.update(
            status="done",
            filled_lots=executed.lots,
            notional=str(executed.notional),
            fee=str(executed.fee),
            gas=str(executed.gas),
        )

    def _finish(self, session: Session, row: Any, legs: list[dict[str, Any]]) -> None:
        """The slice done, its fill and cost added to the parent's, what it left unfilled carried to the next
        slice (the last one's is left: the parent completes short of its quantity)."""
        side = row.side
        filled = sum(int(leg.get("filled_lots", 0)) for leg in legs)
        cost = 0
        for leg in legs:
            notional, fee, gas = (int(leg.get(name, "0")) for name in ("notional", "fee", "gas"))
            cost += notional + fee + gas if side == "buy" else fee + gas - notional
        now = _now()
        session.execute(
            update(parent_slices)
            .where(self._key(row))
            .values(status="done", filled_lots=filled, cost=cost, legs=json.dumps(legs), updated_at=now)
        )
        parent = parent_orders.c
        session.execute(
            update(parent_orders)
            .where(parent.id == row.parent_id)
            .values(filled_lots=parent.filled_lots + filled, cost=parent.cost + cost, updated_at=now)
        )
        following = session.execute(
            select(parent_slices.c.slice_index, parent_slices.c.status)
            .where(
                parent_slices.c.parent_id == row.parent_id,
                parent_slices.c.status.in_(("scheduled", "executing")),
                parent_slices.c.slice_index != row.slice_index,
            )
            .order_by(parent_slices.c.slice_index)
        ).first()
        if following is not None and following.status == "scheduled" and filled < row.qty_lots:
            # what this slice could not fill within the limit goes with the next one
            session.execute(
                update(parent_slices)
                .where(
                    parent_slices.c.parent_id == row.parent_id,
                    parent_slices.c.slice_index == following.slice_index,
                )
                .values(qty_lots=parent_slices.c.qty_lots + row.qty_lots - filled)
            )
        if following is None:
            session.execute(
                update(parent_orders)
                .where(parent.id == row.parent_id, parent.status == "active")
                .values(status="completed")
            )
        session.commit()
