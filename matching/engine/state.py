"""A book's whole state as plain integers: the snapshot format and what the state hash covers.

The state is everything that decides the book's future: resting orders in priority order (best level
first, oldest first), waiting stops in arrival order, positions, the clock, the last trade price and the
next time priority. The expiry heap is not part of it: it is rebuilt from the GTD orders (its stale
entries never change an outcome). Two books with the same state answer every future command the same.
"""

from __future__ import annotations

import hashlib
import json
from heapq import heapify
from typing import Any

from matching.engine.book import Order
from matching.engine.matcher import Engine
from matching.engine.types import Tif

FORMAT = 1


def engine_state(engine: Engine) -> dict[str, Any]:
    """The state of `engine` as a JSON-ready dict (integers and lists only)."""
    book = engine.book
    return {
        "format": FORMAT,
        "clock": engine.clock,
        "last_price": engine.last_price,
        "seq": engine.seq,
        "positions": sorted([a, p] for a, p in engine.positions.items() if p),
        "bids": [o.fields() for level in book.side_levels(0) for o in level.orders()],
        "asks": [o.fields() for level in book.side_levels(1) for o in level.orders()],
        "stops": [o.fields() for o in engine.stops.values()],
    }


def state_bytes(state: dict[str, Any]) -> bytes:
    """The one encoding of a state: sorted keys, no spaces (the same state gives the same bytes)."""
    return json.dumps(state, sort_keys=True, separators=(",", ":")).encode()


def hash_state(state: dict[str, Any]) -> str:
    """SHA-256 (hex) of a state's one encoding."""
    return hashlib.sha256(state_bytes(state)).hexdigest()


def state_hash(engine: Engine) -> str:
    """SHA-256 (hex) of the engine's state: equal after a replay exactly when the books are the same."""
    return hash_state(engine_state(engine))


def restore(state: dict[str, Any]) -> Engine:
    """An engine in exactly the state `state` describes (see `engine_state`)."""
    if state.get("format") != FORMAT:
        raise ValueError(f"unknown book state format {state.get('format')!r}")
    engine = Engine()
    engine.clock = state["clock"]
    engine.last_price = state["last_price"]
    engine.seq = state["seq"]
    engine.positions = dict(state["positions"])
    for fields in state["bids"] + state["asks"]:
        engine.book.add(_order(fields, engine))
    for fields in state["stops"]:
        order = _order(fields, engine)
        engine.stops[order.order_id] = order
    heapify(engine.expiries)
    return engine


def _order(fields: list[int], engine: Engine) -> Order:
    order = Order.from_fields(fields)
    if order.tif == Tif.GTD:
        engine.expiries.append((order.expire_ts, order.order_id))
    return order
