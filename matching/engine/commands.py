"""The commands a book accepts: the engine's whole input, and what the journal stores.

Each command carries `ts`, the book's clock (an integer the sequencer stamps, e.g. microseconds): the
engine never reads the wall clock, so GTD expiry replays exactly. Order ids are the caller's; an id may not
name a live order (resting or waiting for its trigger) of the same book. Prices are integer ticks and
quantities integer lots; turning them into amounts is the market's business, not the book's.
"""

from __future__ import annotations

from typing import NamedTuple

from matching.engine.types import Kind, Side, Stp, Tif


class Place(NamedTuple):
    """A new order. `price` is 0 for market and stop (market) orders; `trigger` is 0 but for the stop and
    take-profit kinds. `peak` > 0 makes a resting limit order an iceberg that shows `peak` lots at a time.
    `reduce_only` orders may only shrink the account's position in this book (and never rest)."""

    ts: int
    order_id: int
    account: int
    side: Side
    kind: Kind
    qty: int
    price: int = 0
    trigger: int = 0
    tif: Tif = Tif.GTC
    expire_ts: int = 0
    peak: int = 0
    post_only: bool = False
    reduce_only: bool = False
    stp: Stp = Stp.EXPIRE_TAKER


class Cancel(NamedTuple):
    """Cancel a live order (resting, or waiting for its trigger) of `account`."""

    ts: int
    order_id: int
    account: int


class Amend(NamedTuple):
    """Change a resting order's price (0: keep it) and its open quantity (`qty`: the new remainder).

    Only a smaller quantity at the same price keeps time priority; any other change puts the order at the
    back of its (possibly new) level, and a new price may trade at once, as a new order would.
    """

    ts: int
    order_id: int
    account: int
    price: int
    qty: int


class Tick(NamedTuple):
    """Move the clock forward without another command (expires GTD orders whose time has come)."""

    ts: int


Command = Place | Cancel | Amend | Tick
