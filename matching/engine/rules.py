"""The checks a new order must pass before it touches the book, and when a waiting order fires.

Kept apart from the matcher so that the rules read as a list: every refusal names its typed reason, and a
refused command changes nothing.
"""

from __future__ import annotations

from matching.engine.book import Order
from matching.engine.commands import Place
from matching.engine.types import Kind, Reject, Side, Tif

# Enum members read once: on Python 3.11 `Tif.GTD` is a class attribute lookup through the enum's
# metaclass (~70 ns). `check_place` compares with the members' literal values instead.
assert (Kind.LIMIT, Kind.STOP, Kind.STOP_LIMIT, Kind.TAKE_PROFIT_LIMIT) == (0, 2, 3, 5)
assert (Tif.GTC, Tif.GTD) == (0, 1)


def check_place(cmd: Place) -> Reject | None:
    """Why `cmd` is malformed on its own (before looking at the book), or None.

    Market and stop (market) orders take IOC or FOK only: what is left of them cannot rest without a
    price. Post-only is for resting limit orders; an iceberg's peak is below its quantity and it must be
    able to rest. Reduce-only orders never rest (IOC/FOK), so the position they reduce is the one of the
    moment they trade, and no resting order has to be shrunk later when the position moves.
    """
    # The kinds and times in force as plain ints compared with literals (the values of `PRICED_KINDS`,
    # `TRIGGERED_KINDS` and `RESTING_TIFS`): compiled, these are machine-integer compares where a
    # frozenset membership test hashed an enum member through a module-dictionary lookup.
    kind: int = cmd.kind
    tif: int = cmd.tif
    qty = cmd.qty
    priced = kind == 0 or kind == 3 or kind == 5  # LIMIT, STOP_LIMIT, TAKE_PROFIT_LIMIT
    resting = tif == 0 or tif == 1  # GTC, GTD
    if qty <= 0:
        return Reject.INVALID_QUANTITY
    price = cmd.price
    if (price <= 0) if priced else (price != 0):
        return Reject.INVALID_PRICE
    trigger = cmd.trigger
    if (trigger <= 0) if 2 <= kind <= 5 else (trigger != 0):  # STOP .. TAKE_PROFIT_LIMIT
        return Reject.INVALID_TRIGGER
    if not priced and resting:
        return Reject.INVALID_TIF
    expire_ts = cmd.expire_ts
    if (expire_ts <= cmd.ts) if tif == 1 else (expire_ts != 0):  # GTD
        return Reject.INVALID_EXPIRY
    peak = cmd.peak
    if peak and (peak < 0 or peak >= qty or not resting):
        return Reject.INVALID_PEAK
    if cmd.post_only and (kind != 0 or not resting):  # LIMIT
        return Reject.INVALID_POST_ONLY
    if cmd.reduce_only and resting:
        return Reject.REDUCE_ONLY_MUST_NOT_REST
    return None


def fires(order: Order, last_price: int) -> bool:
    """Whether a waiting stop or take-profit order fires at `last_price`.

    A stop buys when the price rises to its trigger and sells when it falls to it (it limits a loss or
    chases a breakout); a take-profit does the opposite.
    """
    kind = order.kind
    rising = order.side == Side.BUY
    if kind == Kind.TAKE_PROFIT or kind == Kind.TAKE_PROFIT_LIMIT:
        rising = not rising
    return last_price >= order.trigger if rising else last_price <= order.trigger


def reducible(position: int, side: int, qty: int) -> int:
    """How much of `qty` a reduce-only order of `side` may trade against a signed `position` (lots)."""
    room = (position if position > 0 else 0) if side == Side.SELL else (-position if position < 0 else 0)
    return qty if qty < room else room
