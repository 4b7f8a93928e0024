"""What the perpetual reports: every margin call, liquidation step, take-over, deleveraging, insurance
draw and funding payment, each with its reason, in the order it happened.

They are the audit trail (STYLE: every state change is an audit record) and what the ledger and the API
will carry; all amounts are tUSD minor units, prices ticks, sizes lots (signed: bought > 0).
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple


class Reason(IntEnum):
    """Why a margin or liquidation step happened."""

    EQUITY_BELOW_CALL_LEVEL = 0  # a margin call: under margin_call_bps of maintenance
    EQUITY_BELOW_MAINTENANCE = 1  # liquidation: partial if a smaller close restores maintenance
    EQUITY_NEGATIVE = 2  # bankrupt at the mark: only a full liquidation
    PARTIAL_NOT_ENOUGH = 3  # a partial liquidation left the account under maintenance: now full
    BOOK_UNFILLED = 4  # the book did not take the whole liquidation order
    INSURANCE_INSUFFICIENT = 5  # the fund cannot take the position over: auto-deleveraging
    LIQUIDATION_FEE = 6  # the fee a liquidation pays the fund (its surplus)
    DEFICIT = 7  # a flat account left below zero: the fund covers it


class LiquidationTier(IntEnum):
    PARTIAL = 0
    FULL = 1


class MarginCall(NamedTuple):
    ts: int
    account: int
    equity: int
    maintenance: int
    reason: Reason


class LiquidationStarted(NamedTuple):
    """A liquidation of `lots` (signed: the trade that closes) limited at the bankruptcy price."""

    ts: int
    account: int
    tier: LiquidationTier
    lots: int
    bankruptcy_price: int
    equity: int
    maintenance: int
    reason: Reason


class LiquidationFilled(NamedTuple):
    """Part of a liquidation order traded in the book; `fee` went to the insurance fund."""

    ts: int
    account: int
    lots: int
    price: int
    fee: int


class TakenOver(NamedTuple):
    """The insurance fund took `lots` of the account's position over at the bankruptcy price."""

    ts: int
    account: int
    lots: int
    price: int
    reason: Reason


class Deleveraged(NamedTuple):
    """Auto-deleveraging: `counterparty`'s position shrank by `lots` against the bankrupt `account`'s,
    at the bankruptcy price; `rank` is the counterparty's place in the queue (0 first)."""

    ts: int
    account: int
    counterparty: int
    lots: int
    price: int
    rank: int
    reason: Reason


class InsuranceMoved(NamedTuple):
    """Money between an account and the fund: positive into the fund (a fee), negative out (a deficit)."""

    ts: int
    account: int
    amount: int
    reason: Reason


class FundUnwound(NamedTuple):
    """The insurance fund's unwind order traded `lots` of its taken-over position in the book at `price`
    (`account` is the fund's id): its position shrinks toward flat a round at a time."""

    ts: int
    account: int
    lots: int
    price: int


class FundingPaid(NamedTuple):
    """One account's funding at the end of an interval: negative paid, positive received."""

    ts: int
    account: int
    amount: int
    rate_ppm: int
    mark: int


Record = (
    MarginCall
    | LiquidationStarted
    | LiquidationFilled
    | TakenOver
    | Deleveraged
    | InsuranceMoved
    | FundUnwound
    | FundingPaid
)
