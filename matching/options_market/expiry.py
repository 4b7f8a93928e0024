"""Expiry settlement: each series settles in cash at the index once, exactly once, across restarts.

`settle(venue, series_id)` runs when the book's clock has reached the series' expiry, under the venue's
lock (no order is margined or placed meanwhile), in steps each of which is safe to repeat:

1. **The price, fixed first.** The index (`IndexSource`, QTU units per TPW, exact) is read once and
   recorded in `option_settlements` (`records.fix`) before any money moves; a restart reads it back, so
   every transfer is recomputed from the same price. A later index move changes nothing.
2. **The book closes.** Every order still resting is canceled through the journal (`Done.CANCELED`), so
   its premium hold goes back as any cancel's does; the book took no order since its expiry.
3. **Shorts pay, then longs are paid.** Per account, in account order, from the positions the engine
   holds: a short owes |lots| × the intrinsic value per contract (`OptionSeries.intrinsic_units`, rounded
   down), paid into the series' settlement account as one linked chain: from its margin account first,
   then its tUSD account, and what neither holds from the venue's shortfall account (recorded as the
   result's `shortfall`). Then each long is paid lots × intrinsic from the settlement account, which ends
   at zero (the positions sum to zero). Each account's transfers have references
   `options:<series>:expiry:<trader>:<leg>`: a step already in the ledger is skipped (looked up first),
   so a crash between two steps resumes at the next one and nothing is paid twice.
4. **Margin comes back.** Each account that held the series gets back what its margin account holds
   above what its remaining exposure needs (reference `options:<series>:release:<trader>`).
5. `settled_at_us` is recorded; the series is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ledger.accounts import lookup_account
from ledger.journal import lookup_references
from ledger.model import TransferFlags, TransferSpec
from ledger.transaction import Database
from matching.options.series import QUOTE
from matching.options_market.accounts import margin_account, settlement_account, shortfall_account
from matching.options_market.index import settlement_price
from matching.options_market.records import fix, fixing, mark_settled
from matching.options_market.venue import OptionVenue
from matching.spot.accounts import trader_account
from matching.spot.market import SpotMarket
from matching.spot.poster import PostingFailed, post


class NotExpired(RuntimeError):
    """The series' book has not reached its expiry: settling now would pay on a live market."""


@dataclass(frozen=True, slots=True)
class Settled:
    """What a series' settlement did: its price (QTU units per TPW), per-contract payout, shortfall."""

    series_id: str
    price: Fraction
    per_contract: int
    paid_by_shorts: int
    shortfall: int


def _balance(database: Database, account_id: int) -> int:
    account = lookup_account(database, account_id)
    return 0 if account is None else account.balances.posted


def _posted(database: Database, reference: str) -> bool:
    return bool(lookup_references(database, [(QUOTE, reference)]))


def _chain(database: Database, prefix: str, legs: list[tuple[int, int, int]]) -> None:
    """Post `legs` (debit, credit, amount; zero amounts left out) as one linked chain, once."""
    legs = [leg for leg in legs if leg[2] > 0]
    if not legs or _posted(database, f"{prefix}:0"):
        return
    post(
        database,
        [
            TransferSpec(
                reference=f"{prefix}:{i}",
                debit_account_id=debit,
                credit_account_id=credit,
                amount=amount,
                currency=QUOTE,
                flags=TransferFlags.LINKED if i < len(legs) - 1 else TransferFlags.NONE,
            )
            for i, (debit, credit, amount) in enumerate(legs)
        ],
    )


def settle(venue: OptionVenue, series_id: str) -> Settled:
    """Settle `series_id` (see the module docstring); repeating it after it finished changes nothing."""
    book = venue.books[series_id]
    with venue.lock:
        if not book.expired():
            raise NotExpired(f"{book.market.id} expires at {book.series.expiry_us}, the clock is before it")
        recorded = fixing(venue.database, book.market.id)
        if recorded is None:
            price = settlement_price(venue.index)
            recorded = fix(
                venue.database, book.market.id, price, book.series.intrinsic_units(price), book.clock()
            )
        price, per_contract = recorded.price, recorded.per_contract
        holders = set()
        for order in sorted(book.book.engine.book.orders.values(), key=lambda order: order.order_id):
            holders.add(order.account)
            SpotMarket.cancel(book, order.account, order.order_id)  # no margin release: step 4 does it
        positions = sorted(book.book.engine.positions.items())
        account = settlement_account(book.market.id)
        prefix = f"options:{book.market.id}:expiry"
        paid = shortfall = 0
        for trader, lots in positions:
            owed = -lots * per_contract
            if owed <= 0:
                continue
            reference = f"{prefix}:{trader}"
            if not _posted(venue.database, f"{reference}:0"):
                from_margin = min(owed, _balance(venue.database, margin_account(venue.name, trader)))
                from_wallet = min(owed - from_margin, _balance(venue.database, trader_account(trader, QUOTE)))
                short = owed - from_margin - from_wallet
                legs = [
                    (margin_account(venue.name, trader), account, from_margin),
                    (trader_account(trader, QUOTE), account, from_wallet),
                    (shortfall_account(venue.name), account, short),
                ]
                _chain(venue.database, reference, legs)
                shortfall += short
            paid += owed
        for trader, lots in positions:
            if lots > 0:
                _chain(
                    venue.database,
                    f"{prefix}:{trader}",
                    [(account, trader_account(trader, QUOTE), lots * per_contract)],
                )
        if _balance(venue.database, account) != 0:
            raise PostingFailed(f"{book.market.id}: the settlement account is not empty after settlement")
        holders.update(trader for trader, lots in positions if lots)
        for trader in sorted(holders):
            release = f"options:{book.market.id}:release:{trader}"
            if not _posted(venue.database, f"{release}:0"):
                margin = margin_account(venue.name, trader)
                held = _balance(venue.database, margin)
                needed = venue.margin(trader, exclude=book.series).requirement if held else 0
                _chain(venue.database, release, [(margin, trader_account(trader, QUOTE), held - needed)])
        mark_settled(venue.database, book.market.id, book.clock())
        return Settled(book.market.id, price, per_contract, paid, shortfall)


def settle_due(venue: OptionVenue) -> list[Settled]:
    """Settle every series whose expiry the clock has reached and that is not settled yet."""
    return [
        settle(venue, series_id)
        for series_id, book in venue.books.items()
        if book.expired() and not book.settled()
    ]
