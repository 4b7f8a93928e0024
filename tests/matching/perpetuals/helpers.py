"""A small venue for the perpetual's tests: the real engine's book and a Perpetual fed by its events.

The test spec makes a lot times a tick worth one minor unit and puts the tier bounds at 10 and 50 lots,
so the tiers are crossed with small numbers.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from matching.engine import Engine, Event, Kind, Place, Side, Tif
from matching.perpetuals.index.source import BookQuote
from matching.perpetuals.market import Perpetual
from matching.perpetuals.records import Record
from matching.perpetuals.spec import PerpSpec, Tier

SPEC = PerpSpec(
    lot_base_units=1,
    tick_size=Fraction(1),
    tiers=(Tier(10, 2_000, 500), Tier(50, 2_500, 1_000), Tier(0, 5_000, 2_500)),
)


class Venue:
    """An engine and a perpetual on one clock; `trade` prints a trade through the book."""

    def __init__(self, spec: PerpSpec = SPEC, index: int = 1_000) -> None:
        self.engine = Engine()
        self.perp = Perpetual(spec, index=index)
        self.ts = 1
        self.ids = itertools.count(1)

    def submit(self, cmd: Place) -> list[Event]:
        return self.engine.process(cmd)

    def rest(self, account: int, side: Side, qty: int, price: int) -> list[Record]:
        events = self.engine.process(
            Place(self.ts, next(self.ids), account, side, Kind.LIMIT, qty, price=price)
        )
        return self.perp.apply_events(events, self.ts)

    def trade(self, buyer: int, seller: int, qty: int, price: int) -> list[Record]:
        """`seller` rests `qty` at `price`, `buyer` takes it with an IOC (the book must hold nothing
        better for the buyer)."""
        out = self.rest(seller, Side.SELL, qty, price)
        events = self.engine.process(
            Place(self.ts, next(self.ids), buyer, Side.BUY, Kind.LIMIT, qty, price=price, tif=Tif.IOC)
        )
        return out + self.perp.apply_events(events, self.ts)

    def move(self, price: int, book: BookQuote | None = None) -> list[Record]:
        """Index (and, with an empty book quote, mark) to `price`."""
        self.ts += 1
        return self.perp.update_prices(self.ts, price, book or BookQuote())

    def liquidate(self) -> list[Record]:
        return self.perp.liquidate(self.ts, self.submit, self.ids)

    def funded(self, *accounts: tuple[int, int]) -> Venue:
        """Open cross accounts with these (id, deposit) pairs."""
        for account, amount in accounts:
            self.perp.open_account(account)
            self.perp.deposit(account, amount)
        return self
