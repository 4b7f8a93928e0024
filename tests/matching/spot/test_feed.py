"""The market's live feed (`matching.spot.feed`) against the book itself: a copy kept from a snapshot and
the updates equals the book after every command of random flows (every time in force, STP modes, amends,
GTD expiry, icebergs), on each ledger backend; sequence numbers are contiguous; a full queue overflows at
once and the market goes on; closing the market ends its subscriptions."""

import random

from matching.engine import Event, Kind, Place, Side, Trade
from matching.spot.feed import Snapshot, Update, levels
from matching.spot.market import SpotMarket
from tests.matching.spot.conftest import OpenMarket
from tests.matching.spot.flows import step


class Copy:
    """A subscriber's book: (side, ticks) -> lots shown."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.levels = {(Side.BUY, price): qty for price, qty in snapshot.bids}
        self.levels |= {(Side.SELL, price): qty for price, qty in snapshot.asks}
        self.seq = snapshot.seq

    def apply(self, update: Update) -> None:
        assert update.seq == self.seq + 1
        self.seq = update.seq
        for change in update.changes:
            if change.qty:
                self.levels[change.side, change.price] = change.qty
            else:
                del self.levels[change.side, change.price]

    def side(self, side: Side) -> list[tuple[int, int]]:
        prices = sorted((p for s, p in self.levels if s is side), reverse=side is Side.BUY)
        return [(price, self.levels[side, price]) for price in prices]


def test_a_copy_from_the_feed_is_the_book_after_every_command(market: SpotMarket) -> None:
    for seed in range(3):
        rng = random.Random(seed)
        subscription, snapshot = market.subscribe(10_000, lambda: None)
        copy, trades, printed = Copy(snapshot), 0, 0
        for n in range(150):
            order_id = seed * 1_000 + n + 1
            if n % 5 == 0:  # an iceberg: its level shows its peak, not its total
                side, qty, peak = rng.choice([Side.BUY, Side.SELL]), rng.randint(5, 30), rng.randint(1, 3)
                iceberg = Place(
                    0, order_id, rng.choice([1, 2]), side, Kind.LIMIT, qty, rng.randint(95, 105), peak=peak
                )
                events: list[Event] | None = market.place(iceberg)
            else:
                events = step(market, rng, order_id)
            printed += sum(isinstance(event, Trade) for event in events or [])
            for update in subscription.take():
                copy.apply(update)
                trades += len(update.trades)
            book = market.book.engine.book
            assert copy.side(Side.BUY) == levels(book, Side.BUY)
            assert copy.side(Side.SELL) == levels(book, Side.SELL)
        assert trades == printed > 0
        market.unsubscribe(subscription)


def test_a_full_queue_overflows_and_the_market_goes_on(market: SpotMarket) -> None:
    woken: list[int] = []
    slow, _ = market.subscribe(2, lambda: woken.append(1))
    fast, _ = market.subscribe(100, lambda: None)
    for n in range(4):
        market.place(Place(0, 100 + n, 1, Side.BUY, Kind.LIMIT, 1, 50 + n))
    assert slow.overflowed
    assert slow.take() == []  # nothing stale is left to send
    assert [update.seq for update in fast.take()] == [1, 2, 3, 4]
    assert market.feed.subscribers == [fast]
    assert woken  # the consumer was told, so it can close the connection


def test_a_resync_restarts_the_queue_after_its_snapshot(market: SpotMarket) -> None:
    subscription, _ = market.subscribe(100, lambda: None)
    market.place(Place(0, 1, 1, Side.BUY, Kind.LIMIT, 1, 50))
    snapshot = market.resync(subscription)
    assert (snapshot.seq, snapshot.bids, subscription.take()) == (1, [(50, 1)], [])
    market.place(Place(0, 2, 1, Side.BUY, Kind.LIMIT, 2, 50))
    assert [(u.seq, u.changes[0].qty) for u in subscription.take()] == [(2, 3)]


def test_closing_the_market_ends_its_subscriptions(market: SpotMarket) -> None:
    subscription, _ = market.subscribe(5, lambda: None)
    market.close()
    assert subscription.closed


def test_the_stream_seq_goes_on_across_a_restart(market: SpotMarket, open_market: OpenMarket) -> None:
    subscription, _ = market.subscribe(100, lambda: None)
    for n in range(3):
        market.place(Place(0, 300 + n, 1, Side.BUY, Kind.LIMIT, 1, 60 + n))
    sent = [update.seq for update in subscription.take()]
    assert sent == [1, 2, 3]
    market.close()

    reopened = open_market()
    later, snapshot = reopened.subscribe(100, lambda: None)
    assert snapshot.seq >= sent[-1]
    reopened.place(Place(0, 310, 2, Side.SELL, Kind.LIMIT, 1, 90))
    assert [update.seq for update in later.take()] == [snapshot.seq + 1]
    assert snapshot.seq + 1 > sent[-1]  # never a seq an earlier process sent
