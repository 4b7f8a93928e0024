"""The engine's small vocabularies: sides, order kinds, times in force, STP modes and every typed reason.

They are `IntEnum`s so that a command is a tuple of integers: the journal writes it as such and the hot
path compares small ints, never strings.
"""

from __future__ import annotations

from enum import IntEnum


class Side(IntEnum):
    """Which side of the book an order is on."""

    BUY = 0
    SELL = 1


class Kind(IntEnum):
    """What an order does when it arrives (or, for the triggered kinds, when its trigger price is hit)."""

    LIMIT = 0
    MARKET = 1
    STOP = 2  # a market order once the last trade price reaches the trigger (buy: >=, sell: <=)
    STOP_LIMIT = 3  # a limit order at `price` once triggered as STOP
    TAKE_PROFIT = 4  # a market order once the last trade price reaches the trigger (buy: <=, sell: >=)
    TAKE_PROFIT_LIMIT = 5  # a limit order at `price` once triggered as TAKE_PROFIT


TRIGGERED_KINDS = frozenset({Kind.STOP, Kind.STOP_LIMIT, Kind.TAKE_PROFIT, Kind.TAKE_PROFIT_LIMIT})
PRICED_KINDS = frozenset({Kind.LIMIT, Kind.STOP_LIMIT, Kind.TAKE_PROFIT_LIMIT})


class Tif(IntEnum):
    """Time in force: how long what is left of an order after it has taken liquidity may rest."""

    GTC = 0  # until canceled
    GTD = 1  # until the clock reaches `expire_ts` (the clock is the commands' own `ts`, never the wall clock)
    IOC = 2  # never rests: the remainder is canceled
    FOK = 3  # all of it trades at once or nothing does (refused before anything happens)


RESTING_TIFS = frozenset({Tif.GTC, Tif.GTD})


class Stp(IntEnum):
    """Self-trade prevention: what happens when an order would trade with an order of its own account.

    The taker's mode decides, as on Binance and CME. There is no "allow": an account never trades with
    itself here (a wash trade is never wanted on a custody venue).
    """

    EXPIRE_TAKER = 0  # the incoming order's remainder is canceled; the resting order stays
    EXPIRE_MAKER = 1  # the resting order is canceled and matching goes on
    EXPIRE_BOTH = 2  # both are canceled
    DECREMENT = 3  # both shrink by the quantity that would have traded; no trade is printed


class Reject(IntEnum):
    """Why a command was refused. A refused command changes nothing (but the clock)."""

    INVALID_QUANTITY = 1
    INVALID_PRICE = 2
    INVALID_TRIGGER = 3
    INVALID_TIF = 4
    INVALID_EXPIRY = 5
    INVALID_PEAK = 6
    INVALID_POST_ONLY = 7
    DUPLICATE_ORDER_ID = 8
    UNKNOWN_ORDER = 9
    NOT_OWNER = 10
    CLOCK_WENT_BACKWARDS = 11
    POST_ONLY_WOULD_TAKE = 12
    FOK_NOT_FILLABLE = 13
    REDUCE_ONLY_MUST_NOT_REST = 14
    REDUCE_ONLY_NO_POSITION = 15
    STOP_WOULD_TRIGGER = 16
    NOT_AMENDABLE = 17


class Done(IntEnum):
    """Why an accepted order left the book (or the stop list) with quantity still open."""

    CANCELED = 1  # by its owner
    EXPIRED = 2  # GTD: the clock reached its expiry
    UNFILLED = 3  # market or IOC: nothing more to take at an acceptable price
    SELF_TRADE = 4  # self-trade prevention
    REDUCE_ONLY = 5  # a triggered reduce-only order found no position left to reduce
    FOK_NOT_FILLABLE = 6  # a triggered fill-or-kill order could not fill at once
