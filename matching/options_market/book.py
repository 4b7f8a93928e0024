"""One option series' book: the spot market's single writer with premiums, margin and an expiry.

It is a `SpotMarket` (hold, journal, match, post; the same crash windows and exactly-once posting) whose
settlement moves premiums (`premiums.PremiumSettlement`), plus what a series needs on entry:

- orders are refused from the series' expiry on (`SeriesClosed`): the book's clock, not the wall's, decides,
  and the expiry settlement then cancels what rests;
- a buy holds its premium and fee in escrow, as a spot buy; a sell first passes the venue's margin gate
  (`venue.OptionVenue.admit`), which holds in the ledger the margin the account would need were the sell
  filled, under the venue's lock (one trader's orders on several series are margined one at a time);
- an amend may not raise a sell's quantity (that would bypass the margin gate: cancel and place again);
- a cancel, and a trade in which the account bought (closing a short), give back at once the margin its
  exposure no longer needs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import nullcontext
from decimal import Decimal

from matching.engine import Event, Place, Side, Trade
from matching.options.series import OptionSeries
from matching.options_market.errors import NoIndexPrice, SeriesClosed
from matching.options_market.premiums import PremiumSettlement
from matching.options_market.records import fixing
from matching.settlement.leaf import Venue
from matching.spot.errors import AmendNeedsFunds
from matching.spot.market import SpotMarket

Gate = Callable[["OptionBook", Place], None]
Release = Callable[[int], None]
Underlying = Callable[[], Decimal]
"""The underlying's price in tUSD per TPW (`OptionVenue.spot`; raises `NoIndexPrice` before it has one)."""


def buyers(events: list[Event]) -> list[int]:
    """The accounts that bought in `events`' trades, once each: a buy may close a short, whose margin
    is then no longer needed."""
    out = dict.fromkeys(
        e.taker_account if e.taker_side == Side.BUY else e.maker_account
        for e in events
        if isinstance(e, Trade)
    )
    return list(out)


class OptionBook(SpotMarket):
    """A series' book; `attach` names its series and its venue's margin gate before it serves."""

    settlement_type = PremiumSettlement
    venue = Venue.OPTION
    series: OptionSeries
    gate: Gate
    release: Release
    underlying: Underlying
    venue_lock: threading.RLock | None = None

    def attach(
        self,
        series: OptionSeries,
        gate: Gate,
        release: Release,
        underlying: Underlying,
        venue_lock: threading.RLock,
    ) -> OptionBook:
        self.series, self.gate, self.release, self.venue_lock = series, gate, release, venue_lock
        self.underlying = underlying
        return self

    def position_notional(self, lots: int, price: int) -> int:
        """What `lots` contracts put at risk for the derivative step-up: the underlying they are written
        on at the index (tUSD minor units), not their premium, which can be a small part of it; before
        the underlying has a price, the premium is all there is to measure."""
        try:
            spot = self.underlying()
        except NoIndexPrice:
            return super().position_notional(lots, price)
        return int(Decimal(lots * self.series.contract_units) * spot)

    def settled(self) -> bool:
        """Whether the series' expiry settlement has finished (`records.option_settlements`)."""
        recorded = fixing(self.database, self.market.id)
        return recorded is not None and recorded.settled_at_us is not None

    def expired(self) -> bool:
        """Whether the book's clock has reached the series' expiry."""
        return max(self.clock(), self.book.engine.clock) >= self.series.expiry_us

    def place(self, place: Place) -> list[Event]:
        """Check the series is open and, for a sell, margin; then the spot path (hold, journal, match)."""
        if self.expired():
            raise SeriesClosed(f"{self.market.id} reached its expiry: it only settles now")
        with self.venue_lock or nullcontext():
            if place.side is Side.SELL:
                self._check_place(place)
                self.gate(self, place)
                events = self._run(lambda ts: place._replace(ts=ts))
            else:
                events = super().place(place)
            for buyer in buyers(events):
                self.release(buyer)
            return events

    def cancel(self, trader: int, order_id: int) -> list[Event]:
        """Cancel, then give back the margin the trader's exposure no longer needs (`venue.release`)."""
        with self.venue_lock or nullcontext():
            events = super().cancel(trader, order_id)
            self.release(trader)
            return events

    def amend(self, trader: int, order_id: int, price: int, qty: int) -> list[Event]:
        """A resting order's new price or quantity; a sell's quantity may only shrink."""
        with self.venue_lock or nullcontext():
            order = self.settlement.orders.get(order_id)
            if order is not None and order.side is Side.SELL and qty > order.leaves:
                raise AmendNeedsFunds(
                    "a sell's quantity cannot grow (its margin was held for it): cancel, place"
                )
            return super().amend(trader, order_id, price, qty)
