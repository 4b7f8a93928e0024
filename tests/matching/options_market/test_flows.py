"""Random option flows over the ledger: after every command the ledger audits clean, each series' escrow
holds exactly its open buys' premium holds, and a sell that was accepted left its writer's margin at least
what the scan requires; reopening the venue rebuilds the same books and posts nothing again."""

import random

import pytest

from ledger.check import verify
from matching.engine import Side, Tif
from matching.options_market.venue import OptionVenue
from matching.spot.accounts import escrow_account
from matching.spot.errors import InsufficientFunds
from tests.matching.options_market.conftest import SERIES, World
from tests.matching.spot.ledger_view import balance, transfer_count

TRADERS = (1, 2, 3, 4)


def assert_escrows(world: World, venue: OptionVenue) -> None:
    for book in venue.books.values():
        open_buys = sum(
            book.settlement.need(Side.BUY, order.leaves, order.price)
            for order in book.book.engine.book.orders.values()
            if order.side == Side.BUY
        )
        assert balance(world.ledger, escrow_account(book.market, "QTU")) == open_buys, book.market.id


@pytest.mark.parametrize("seed", [1, 2])
def test_random_flows_keep_the_ledger_and_margin_whole(world: World, seed: int) -> None:
    rng = random.Random(seed)
    venue = world.venue
    for _ in range(40):
        series = rng.choice(SERIES)
        book = venue.books[series.id]
        trader = rng.choice(TRADERS)
        side = rng.choice((Side.BUY, Side.SELL))
        tif = rng.choice((Tif.GTC, Tif.IOC))
        place = world.order(series, trader, side, rng.randint(1, 5), rng.randint(1, 60), tif)
        try:
            book.place(place)
        except InsufficientFunds:  # trader 4 holds 1 tUSD: its buys and most sells are refused
            continue
        if side is Side.SELL:
            assert venue.held_margin(trader) >= venue.margin(trader).requirement
        assert verify(world.ledger) == []
        assert_escrows(world, venue)
    positions = {trader: venue.positions(trader) for trader in TRADERS}
    hashes = {series_id: book.book.state_hash() for series_id, book in venue.books.items()}
    count = transfer_count(world.ledger)
    venue.close()
    world.venue = reopened = world.open_venue()
    assert {trader: reopened.positions(trader) for trader in TRADERS} == positions
    assert {series_id: book.book.state_hash() for series_id, book in reopened.books.items()} == hashes
    assert transfer_count(world.ledger) == count
    assert_escrows(world, reopened)
