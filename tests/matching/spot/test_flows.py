"""Random order flows keep the ledger balanced per currency, no account below zero, and every escrow equal
to what the open orders still need; a reopen from the journal alone posts nothing more."""

import random
from pathlib import Path

import pytest
from sqlalchemy import Engine

from matching.engine import Side
from matching.spot.market import SpotMarket
from matching.spot.poster import CURSOR_NAME
from matching.spot.settlement import need
from tests.matching.spot.conftest import OpenMarket
from tests.matching.spot.flows import step
from tests.matching.spot.ledger_view import assert_consistent, fund, transfer_count


def assert_reservations_match_the_book(spot: SpotMarket) -> None:
    """Settlement's open orders are the book's, each holding exactly its need."""
    book = spot.book.engine.book.orders
    assert set(spot.settlement.orders) == set(book)
    for order_id, held in spot.settlement.orders.items():
        order = book[order_id]
        assert held.held == need(spot.market, Side(order.side), order.leaves, order.price)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_flows_keep_the_ledger_balanced(
    seed: int, open_market: OpenMarket, ledger: Engine, tmp_path: Path
) -> None:
    spot = open_market()
    fund(ledger, spot.market, 1, tpw=300, tusd=30_000)
    fund(ledger, spot.market, 2, tpw=2_000, tusd=1_000)
    fund(ledger, spot.market, 3, tpw=50, tusd=200_000)
    rng = random.Random(seed)
    trades = 0
    for order_id in range(1, 121):
        events = step(spot, rng, order_id)
        trades += sum(type(event).__name__ == "Trade" for event in events or [])
        assert_reservations_match_the_book(spot)
    assert trades > 0
    assert_consistent(ledger, spot)
    count = transfer_count(ledger)
    spot.close()
    (tmp_path / "book" / CURSOR_NAME).unlink()
    reopened = open_market()
    assert transfer_count(ledger) == count
    assert_reservations_match_the_book(reopened)
    assert_consistent(ledger, reopened)
