"""The events a book emits: its whole output, in the order things happened.

A command yields either one `Rejected` or an `Accepted` (for places) followed by what it caused: trades,
triggers, cancellations. Replaying the same commands yields the same events, which is what the property
tests and the journal's replay rely on.
"""

from __future__ import annotations

from typing import NamedTuple

from matching.engine.types import Done, Reject


class Accepted(NamedTuple):
    """The command was taken; for a place, the order now exists (resting, pending or about to trade)."""

    order_id: int


class Rejected(NamedTuple):
    """The command was refused and changed nothing."""

    order_id: int
    reason: Reject


class Trade(NamedTuple):
    """`qty` lots traded at the maker's `price`; `taker_side` is the side of the aggressor."""

    taker_id: int
    maker_id: int
    taker_account: int
    maker_account: int
    taker_side: int  # a `Side` value (0 buy, 1 sell): a plain int on the hot path
    price: int
    qty: int


class Canceled(NamedTuple):
    """An order left with `leaves` lots open, for `reason`."""

    order_id: int
    leaves: int
    reason: Done


class Amended(NamedTuple):
    """A resting order now shows `price` and `qty` open; `kept_priority` says whether it kept its place."""

    order_id: int
    price: int
    qty: int
    kept_priority: bool


class Triggered(NamedTuple):
    """A stop or take-profit order's trigger was reached by the last trade price; it enters the book now."""

    order_id: int
    last_price: int


class Decremented(NamedTuple):
    """Self-trade prevention (DECREMENT): both orders shrank by `qty` and no trade was printed."""

    taker_id: int
    maker_id: int
    qty: int


Event = Accepted | Rejected | Trade | Canceled | Amended | Triggered | Decremented
