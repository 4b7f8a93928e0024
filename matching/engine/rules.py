"""The checks a new order must pass before it touches the book, and when a waiting order fires.

Kept apart from the matcher so that the rules read as a list: every refusal names its typed reason, and a
refused command changes nothing.
"""

from __future__ import annotations

from matching.engine.book import Order
from matching.engine.commands import Place
from matching.engine.types import PRICED_KINDS, RESTING_TIFS, TRIGGERED_KINDS, Kind, Reject, Side, Tif

# Enum members read once: on Python 3.11 `Tif.GTD` is a class attribute lookup through the enum's
# metaclass (~70 ns), and a place would pay a dozen of them.
_GTD = Tif.GTD
_LIMIT = Kind.LIMIT


def check_place(cmd: Place) -> Reject | None:
    """Why `cmd` is malformed on its own (before looking at the book), or None.

    Market and stop (market) orders take IOC or FOK only: what is left of them cannot rest without a
    price. Post-only is for resting limit orders; an iceberg's peak is below its quantity and it must be
    able to rest. Reduce-only orders never rest (IOC/FOK), so the position they reduce is the one of the
    moment they trade, and no resting order has to be shrunk later when the position moves.
    """
    kind = cmd.kind
    tif = cmd.tif
    if cmd.qty <= 0:
        return Reject.INVALID_QUANTITY
    if (cmd.price <= 0) if kind in PRICED_KINDS else (cmd.price != 0):
        return Reject.INVALID_PRICE
    if (cmd.trigger <= 0) if kind in TRIGGERED_KINDS else (cmd.trigger != 0):
        return Reject.INVALID_TRIGGER
    if kind not in PRICED_KINDS and tif in RESTING_TIFS:
        return Reject.INVALID_TIF
    if (cmd.expire_ts <= cmd.ts) if tif == _GTD else (cmd.expire_ts != 0):
        return Reject.INVALID_EXPIRY
    if cmd.peak and (cmd.peak < 0 or cmd.peak >= cmd.qty or tif not in RESTING_TIFS):
        return Reject.INVALID_PEAK
    if cmd.post_only and (kind != _LIMIT or tif not in RESTING_TIFS):
        return Reject.INVALID_POST_ONLY
    if cmd.reduce_only and tif in RESTING_TIFS:
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
