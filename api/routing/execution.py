"""Executing one leg of a routed slice at its venue, and reading back a book leg after a crash.

- **book**: a LIMIT IOC child on the spot market at the parent's limit, through `SpotMarket.place` (held,
  journaled, matched and posted to the ledger like any order of `/v1/orders`); its fill is the trades
  whose taker is the child.
- **pool**: a real `swapExactTokensForTokens` on L1 from the routing account (`routing_swap_key_path`): a
  sell pays in the lots' base and asks at least the lots at the limit; a buy pays the quoted amount and
  asks at least the lots. The router refuses the swap when the price moved past that.
- **outside**: the replayed venue's recorded depth at the simulated time (no money moves: a recording).

Child ids derive from (parent, slice, venue), so a leg sent twice is the same id: the book refuses an id
it has seen (`UnsupportedOrder`), and `recovered_fill` reads a sent child's fill back from the tape.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import insert
from sqlalchemy.orm import Session

from api.orders.pretrade.gate import PretradeGate
from api.orders.service import project_events
from api.orders.table import spot_orders
from chain.uniswap_v2 import UniswapV2Pool
from matching.engine import Canceled, Done, Event, Kind, Place, Side, Tif, Trade
from matching.routing import Fill
from matching.routing.venues.replay import LimitedReplay
from matching.spot.market import SpotMarket
from payments.merchants.tenant import Tenant


@dataclass(frozen=True, slots=True)
class Admission:
    """The pre-trade gate a book child passes, and whose account it is."""

    gate: PretradeGate
    merchant_id: str


@dataclass(frozen=True, slots=True)
class Executed:
    """What a leg traded: lots, notional, fee and gas in quote minor units."""

    lots: int
    notional: int
    fee: int
    gas: int = 0


def child_id(parent_id: int, slice_index: int, venue: str) -> int:
    """The child order id of a parent's slice at a venue (62 bits of a digest: stable across restarts)."""
    digest = hashlib.sha256(f"tpwallet-child|{parent_id}|{slice_index}|{venue}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> 2) or 1


def _book_fill(spot: SpotMarket, trades: list[tuple[int, int]]) -> Executed:
    lots = sum(qty for _, qty in trades)
    notional = sum(spot.market.notional(qty, price) for price, qty in trades)
    return Executed(lots, notional, spot.market.fee(notional, spot.market.taker_fee_bps))


def execute_book(
    spot: SpotMarket,
    order_id: int,
    trader: int,
    side: Side,
    lots: int,
    limit: int,
    admission: Admission | None = None,
) -> tuple[Executed, list[Event]]:
    """A LIMIT IOC child of `lots` at `limit`: what it traded, and the command's events (for the orders'
    projection, the makers' rows included). With `admission` (the gate and the parent's merchant) the child
    passes the pre-trade checks every order of `/v1/orders` passes: a kill switch stops a TWAP too."""
    spot.open_accounts(trader)
    child = Place(0, order_id, trader, side, Kind.LIMIT, lots, limit, tif=Tif.IOC)
    if admission is None:
        events = spot.place(child)
    else:
        listed = spot.market.id.removesuffix(".sandbox")
        with admission.gate.admitting(spot, listed, admission.merchant_id, trader, child) as admitted:
            events = spot.place(admitted)
    trades = [(e.price, e.qty) for e in events if isinstance(e, Trade) and e.taker_id == order_id]
    return _book_fill(spot, trades), events


def project_child(
    session: Session,
    tenant: Tenant,
    spot: SpotMarket,
    order_id: int,
    side: Side,
    lots: int,
    limit: int,
    events: list[Event],
) -> None:
    """The child's `spot_orders` row (it is the caller's order like any of `/v1/orders`) and its events
    applied to every order they touched, in the caller's transaction."""
    now = datetime.now(UTC)
    session.execute(
        insert(spot_orders).values(
            id=order_id,
            **tenant.values(),
            market=spot.market.id.removesuffix(".sandbox"),
            side="buy" if side is Side.BUY else "sell",
            price_ticks=limit,
            qty_lots=lots,
            filled_lots=0,
            time_in_force="ioc",
            status="open",
            created_at=now,
            updated_at=now,
        )
    )
    project_events(session, events, now)


def recovered_fill(
    spot: SpotMarket, order_id: int, side: Side, lots: int
) -> tuple[Executed, list[Event]] | None:
    """A child the book has seen: its fill, and its events as the orders' projection needs them (its
    trades, the IOC's unfilled rest), rebuilt from the tape (None if the book never saw the id)."""
    if order_id not in spot.settlement.placed:
        return None
    trades = [t for t in spot.tape.trades if t.taker_id == order_id]
    events: list[Event] = [Trade(order_id, t.maker_id, 0, 0, side, t.price, t.qty) for t in trades]
    filled = sum(t.qty for t in trades)
    if filled < lots:
        events.append(Canceled(order_id, lots - filled, Done.UNFILLED))
    return _book_fill(spot, [(t.price, t.qty) for t in trades]), events


def swap_account(path: Path) -> LocalAccount:
    """The routing account's key from its 0600 file (never logged)."""
    account: LocalAccount = Account.from_key(path.read_text().strip())
    return account


def execute_pool(
    pool: UniswapV2Pool,
    tokens: tuple[str, str],
    account: LocalAccount,
    quoted: Fill,
    lot_wei: int,
    limit: int,
) -> Executed:
    """The swap for `quoted` (`tokens`: base, quote): a sell of its lots for at least `limit` quote units, or
    a buy paying what was quoted for at least its lots; the router refuses it (nothing moves) when the pool
    moved past that."""
    base, quote = tokens
    if quoted.side is Side.SELL:
        received = pool.swap_exact_in(account, base, quoted.lots * lot_wei, min_out=limit)
        return Executed(quoted.lots, received + quoted.fee, quoted.fee, quoted.gas)
    pool.swap_exact_in(account, quote, quoted.notional + quoted.fee, min_out=quoted.lots * lot_wei)
    return Executed(quoted.lots, quoted.notional, quoted.fee, quoted.gas)


def execute_outside(venue: LimitedReplay, side: Side, lots: int) -> Executed:
    fill = venue.execute(side, lots)
    return Executed(fill.lots, fill.notional, fill.fee, fill.gas)
