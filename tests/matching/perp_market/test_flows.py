"""Random flows through the perpetual market: after every step the ledger holds exactly the domain's
money (each margin account, the fund, the fees), the ledger audits clean, and a reopen rebuilds the same
positions and posts nothing more."""

import random

import pytest
from sqlalchemy import Engine

from matching.engine import Kind, Place, Side, Tif
from matching.perp_market.errors import InsufficientFunds, MarginRefused
from matching.perp_market.market import PerpMarket
from tests.matching.perp_market.conftest import TRADERS, OpenPerp
from tests.matching.perp_market.view import UNIT, assert_ledger_agrees, records, transfer_count

STEPS = 60


def step(perp: PerpMarket, rng: random.Random, outside: int, ids: list[int]) -> int:
    """One random action; the outside price after it."""
    trader = rng.choice(TRADERS)
    roll = rng.random()
    ids[0] += 1
    try:
        if roll < 0.1:
            perp.deposit(trader, ids[0], rng.randint(1, 300) * UNIT)
        elif roll < 0.18:
            perp.withdraw(trader, ids[0], rng.randint(1, 200) * UNIT)
        elif roll < 0.22:
            perp.configure(trader, rng.randint(0, 1), rng.randint(1, 5))
        elif roll < 0.4:
            outside = max(5_000, outside + rng.randint(-3_000, 3_000))  # crashes now and then
            perp.price_round(outside)
        elif roll < 0.5:
            perp.cancel(trader, rng.randint(max(1, ids[0] - 10), ids[0]))
        else:
            side = rng.choice((Side.BUY, Side.SELL))
            price = outside + rng.randint(-300, 300)
            tif = Tif.GTC if rng.random() < 0.3 else Tif.IOC  # resting orders hold the index (its rule)
            perp.place(Place(0, ids[0], trader, side, Kind.LIMIT, rng.randint(1, 120_000), price, tif=tif))
    except (MarginRefused, InsufficientFunds):
        pass
    return outside


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_flows_keep_the_ledger_equal_to_the_domain(
    perp: PerpMarket, open_perp: OpenPerp, ledger: Engine, seed: int
) -> None:
    rng = random.Random(seed)
    for trader in TRADERS:
        perp.deposit(trader, 10_000 + trader, 500 * UNIT)
    outside = 25_000
    perp.price_round(outside)
    ids = [100]
    for _ in range(STEPS):
        outside = step(perp, rng, outside, ids)
        assert_ledger_agrees(ledger, perp)
    count, stored = transfer_count(ledger), records(ledger)
    state = [(a.id, a.position, a.total_money()) for a in perp.runner.perp.everyone()]
    perp.close()

    reopened = open_perp()
    assert [(a.id, a.position, a.total_money()) for a in reopened.runner.perp.everyone()] == state
    assert (transfer_count(ledger), records(ledger)) == (count, stored)
    assert_ledger_agrees(ledger, reopened)
