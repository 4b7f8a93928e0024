"""The ledger side of a routed leg traded away from the book: the trader's money reserved before the leg is
sent, then settled at what the venue did, or given back.

A book leg is an order like any other and the spot market posts it. A pool or outside leg trades with a
counterparty the ledger has no account for (the routing account's swaps on the pool; the outside venue),
so each market has a clearing account per venue and currency: the ledger's side of what that venue took
and gave. It has no balance flag, as rail clearing accounts have none: it mirrors money held elsewhere (the
routing account's tokens on chain for the pool), and reconciling the two is the operator's check.

Three steps, each in the transaction that records the leg (`api.routing.runner`):

1. `reserve`: a pending transfer of the most the leg may spend, trader -> clearing, committed with the leg's
   `sending` mark, so nothing is sent that the trader could not pay. Its id derives from the child id: the
   same leg reserved again answers `exists`, never a second hold.
2. `settle`: that pending posted at what was spent (the rest goes back) and what was received credited,
   clearing -> trader, linked, with the leg's `done`.
3. `release`: the pending voided, with the leg's `failed`, when nothing was traded.

A pool leg found `sending` after a crash may have been mined: it becomes `unknown` and its pending stays,
the money neither spent nor free, until the operator settles or voids it from the routing account's
transactions. No amount here is ever a float: lots, ticks and ledger minor units are integers throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from api.routing.execution import Executed
from ledger.journal import lookup_transfer
from ledger.model import AccountSpec, OwnerKind, TransferFlags, TransferSpec
from ledger.results import CreateTransferResult
from ledger.transfers import create_transfer, create_transfers
from matching.engine import Side
from matching.markets import MarketSpec
from matching.routing import Fill
from matching.spot.accounts import derived_id, ensure_accounts, trader_account
from matching.spot.market import SpotMarket

CLEARING_OWNER_PREFIX = "routing:"
"""Owner ids of the venues' clearing accounts; monitoring counts a move into one as trading, not a
withdrawal (`risk.monitoring.monitor.VENUE_OWNERS`)."""
_UNFUNDED: Final = frozenset(
    {CreateTransferResult.EXCEEDS_CREDITS, CreateTransferResult.DEBIT_ACCOUNT_NOT_FOUND}
)


@dataclass(frozen=True, slots=True)
class Leg:
    """A leg as the ledger sees it: whose, where, which way, and its child order id (unique per leg)."""

    market: MarketSpec
    venue: str
    child_id: int
    trader: int
    side: Side

    @property
    def pays(self) -> str:
        """The currency the trader gives: the base when selling, the quote when buying."""
        return self.market.base if self.side is Side.SELL else self.market.quote

    @property
    def gets(self) -> str:
        return self.market.quote if self.side is Side.SELL else self.market.base

    @property
    def hold_id(self) -> int:
        return derived_id(f"routing-hold|{self.market.id}|{self.venue}|{self.child_id}")

    def reference(self, step: str) -> str:
        return f"routing:{self.market.id}:{self.venue}:{self.child_id}:{step}"


def clearing_account(market: MarketSpec, venue: str, currency: str) -> int:
    """The clearing account of `venue` in `market` for `currency`."""
    return derived_id(f"routing-clearing|{market.id}|{venue}|{currency}")


def clearing_specs(market: MarketSpec, venue: str) -> list[AccountSpec]:
    """The venue's clearing accounts in the market's two currencies (create them before a leg reserves)."""
    owner = f"{CLEARING_OWNER_PREFIX}{market.id}:{venue}"
    return [
        AccountSpec(clearing_account(market, venue, currency), currency, OwnerKind.RAIL_CLEARING, owner)
        for currency in (market.base, market.quote)
    ]


def most_spent(leg: Leg, lots: int, notional: int, fee: int, gas: int) -> int:
    """The most a leg of `lots` quoted at `notional`, `fee` and `gas` (quote units) may take from the
    trader: the lots' base when selling (the venue pays the costs out of the proceeds), the whole cost when
    buying."""
    if leg.side is Side.SELL:
        return leg.market.base_amount(lots)
    return notional + fee + gas


def reserve(leg: Leg, amount: int) -> TransferSpec:
    """The pending hold of `amount` (`most_spent`) in the currency the trader pays; no timeout, since a
    swap that may have been mined must not free the money by itself."""
    if amount <= 0:
        raise ValueError(f"a routed leg reserves a positive amount, not {amount}")
    return TransferSpec(
        reference=leg.reference("hold"),
        id=leg.hold_id,
        debit_account_id=trader_account(leg.trader, leg.pays),
        credit_account_id=clearing_account(leg.market, leg.venue, leg.pays),
        amount=amount,
        currency=leg.pays,
        flags=TransferFlags.PENDING,
    )


def settle(leg: Leg, lots: int, notional: int, fee: int, gas: int) -> list[TransferSpec]:
    """What a leg that traded `lots` for `notional` (quote units, before `fee` and `gas`) moves: the hold
    posted at what was spent, and what was received credited, as one linked chain. A leg that traded
    nothing is `release`d instead."""
    if lots <= 0:
        raise ValueError("a leg that traded nothing is released, not settled")
    if leg.side is Side.SELL:
        spent, received = leg.market.base_amount(lots), notional - fee - gas
    else:
        spent, received = notional + fee + gas, leg.market.base_amount(lots)
    if received <= 0:
        raise ValueError(f"the leg's costs ({fee} + {gas}) take all its proceeds ({notional})")
    return [
        TransferSpec(
            reference=leg.reference("post"),
            pending_id=leg.hold_id,
            amount=spent,
            flags=TransferFlags.POST_PENDING | TransferFlags.LINKED,
        ),
        TransferSpec(
            reference=leg.reference("proceeds"),
            debit_account_id=clearing_account(leg.market, leg.venue, leg.gets),
            credit_account_id=trader_account(leg.trader, leg.gets),
            amount=received,
            currency=leg.gets,
        ),
    ]


def release(leg: Leg) -> TransferSpec:
    """The hold given back whole: the leg failed before anything traded."""
    return TransferSpec(
        reference=leg.reference("void"), pending_id=leg.hold_id, flags=TransferFlags.VOID_PENDING
    )


class LegLedger:
    """The three steps above in a caller's session (its transaction commits them with the leg's record)."""

    def __init__(self) -> None:
        self._opened: set[tuple[str, str]] = set()

    def hold(self, session: Session, spot: SpotMarket, leg: Leg, quoted: Fill) -> str | None:
        """Reserve what `quoted` may cost the trader; None when held (now, or before a crash), else why
        not (the trader cannot pay it)."""
        if lookup_transfer(session, leg.hold_id) is not None:
            return None  # held before a crash: the leg goes on with its first hold
        spot.open_accounts(leg.trader)
        if (leg.market.id, leg.venue) not in self._opened:
            ensure_accounts(session, clearing_specs(leg.market, leg.venue))
            self._opened.add((leg.market.id, leg.venue))
        if leg.side is Side.SELL and quoted.notional <= quoted.fee + quoted.gas:
            return "costs_exceed_proceeds"  # nothing would be left for the trader: never sent
        amount = most_spent(leg, quoted.lots, quoted.notional, quoted.fee, quoted.gas)
        outcome = create_transfer(session, reserve(leg, amount))
        if outcome.result in _UNFUNDED:
            return "insufficient_funds"
        if not outcome.ok:
            raise RuntimeError(f"{leg.reference('hold')}: {outcome.result}")
        return None

    def resolve(self, session: Session, leg: Leg, executed: Executed | None) -> None:
        """Settle the hold at what `executed` traded, or give it back when nothing was (None, or no lots)."""
        if executed is None or executed.lots == 0:
            specs = [release(leg)]
        else:
            specs = settle(leg, executed.lots, executed.notional, executed.fee, executed.gas)
        outcomes = create_transfers(session, specs)
        if not all(outcome.ok for outcome in outcomes):
            failed = next(outcome for outcome in outcomes if not outcome.ok)
            raise RuntimeError(f"{specs[failed.index].reference}: {failed.result}")
