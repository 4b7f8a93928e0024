"""Seeded random order flows for a spot market: crossing limits of every time in force, STP modes,
cancels, amends (some beyond their hold), unfunded orders, clock ticks that expire GTD orders."""

from __future__ import annotations

import random

from matching.engine import Event, Kind, Place, Side, Stp, Tif
from matching.spot.errors import AmendNeedsFunds, InsufficientFunds
from matching.spot.market import SpotMarket

TRADERS = (1, 2, 3)


def step(spot: SpotMarket, rng: random.Random, order_id: int) -> list[Event] | None:
    """One random command on `spot` (order ids come from the caller, never reused); its events, or None
    when the market refused it before the journal (as it must, e.g. for an unfunded order)."""
    roll = rng.random()
    trader = rng.choice(TRADERS)
    live = sorted(spot.book.engine.book.orders)
    try:
        if roll < 0.65 or not live:
            tif = rng.choice([Tif.GTC, Tif.GTC, Tif.IOC, Tif.FOK, Tif.GTD])
            place = Place(
                0,
                order_id,
                trader,
                rng.choice([Side.BUY, Side.SELL]),
                Kind.LIMIT,
                rng.choice([1, 2, 5, 20, 400]),
                rng.randint(95, 105),
                tif=tif,
                expire_ts=spot.book.engine.clock + rng.randint(1, 200) if tif is Tif.GTD else 0,
                post_only=tif is Tif.GTC and rng.random() < 0.1,
                stp=rng.choice(list(Stp)),
            )
            return spot.place(place)
        target = spot.book.engine.book.orders[rng.choice(live)]
        if roll < 0.82:
            return spot.cancel(target.account, target.order_id)
        if roll < 0.95:
            price = rng.choice([0, target.price - 1, target.price + 1])
            return spot.amend(target.account, target.order_id, price, rng.randint(1, target.leaves + 1))
        return spot.tick()
    except (InsufficientFunds, AmendNeedsFunds):
        return None
