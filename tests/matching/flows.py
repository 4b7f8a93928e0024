"""Random order flows for the property tests: a few accounts, a narrow price band, every order type.

The band is narrow and the accounts few on purpose: orders cross, ids collide, accounts meet themselves
(self-trade prevention) and stops fire, all within a few dozen commands.
"""

from __future__ import annotations

import random

from hypothesis import strategies as st

from matching.engine import Amend, Cancel, Command, Engine, Kind, Place, Side, Stp, Tick, Tif

PRICES = (96, 104)
IDS = 40


def random_command(rng: random.Random, ts: int) -> Command:
    """One command at clock `ts`, drawn from `rng` (mostly valid, sometimes not, as real traffic is)."""
    roll = rng.random()
    order_id = rng.randint(1, IDS)
    account = rng.randint(1, 3)
    if roll < 0.12:
        return Cancel(ts, order_id, account)
    if roll < 0.3:
        return Amend(ts, order_id, account, rng.choice((0, 0, rng.randint(*PRICES), -1)), rng.randint(-1, 12))
    if roll < 0.32:
        return Tick(ts)
    kind = rng.choices(list(Kind), weights=(50, 15, 8, 8, 8, 8))[0]
    priced = kind in (Kind.LIMIT, Kind.STOP_LIMIT, Kind.TAKE_PROFIT_LIMIT)
    if priced:
        tif = rng.choices(list(Tif), weights=(50, 20, 15, 15))[0]
    else:
        tif = rng.choice((Tif.IOC, Tif.FOK, Tif.IOC, Tif.GTC))
    qty = rng.randint(1, 12) if rng.random() > 0.02 else 0
    return Place(
        ts=ts,
        order_id=order_id,
        account=account,
        side=rng.choice((Side.BUY, Side.SELL)),
        kind=kind,
        qty=qty,
        price=rng.randint(*PRICES) if priced else 0,
        trigger=rng.randint(*PRICES) if kind not in (Kind.LIMIT, Kind.MARKET) else 0,
        tif=tif,
        expire_ts=ts + rng.randint(1, 6) if tif == Tif.GTD else 0,
        peak=rng.randint(1, 4) if tif in (Tif.GTC, Tif.GTD) and rng.random() < 0.25 else 0,
        post_only=kind == Kind.LIMIT and tif in (Tif.GTC, Tif.GTD) and rng.random() < 0.15,
        reduce_only=tif in (Tif.IOC, Tif.FOK) and rng.random() < 0.2,
        stp=rng.choice(list(Stp)),
    )


def random_flow(seed: int, length: int) -> list[Command]:
    """`length` commands from `seed`; the clock moves by 0-2 a command and steps back now and then."""
    rng = random.Random(seed)
    ts = 1
    flow: list[Command] = []
    for _ in range(length):
        ts += rng.choice((0, 0, 1, 1, 2))
        flow.append(random_command(rng, ts - 1 if rng.random() < 0.01 else ts))
    return flow


flows = st.builds(random_flow, st.integers(0, 2**32 - 1), st.integers(1, 150))


def engine_view(engine: Engine) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]], list[int]]:
    """The engine's book in the reference model's `snapshot` form."""

    def rows(side: int) -> list[tuple[int, ...]]:
        return [
            (o.order_id, o.account, o.price, o.leaves, o.visible)
            for level in engine.book.side_levels(side)
            for o in level.orders()
        ]

    return rows(0), rows(1), list(engine.stops)
