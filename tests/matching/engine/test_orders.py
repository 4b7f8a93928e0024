"""One test per order type and rule: what the engine does with it, event by event."""

from __future__ import annotations

from matching.engine import (
    Accepted,
    Amend,
    Amended,
    Cancel,
    Canceled,
    Done,
    Engine,
    Kind,
    Place,
    Reject,
    Rejected,
    Tick,
    Tif,
    Triggered,
)
from tests.matching.engine.helpers import BUY, SELL, ask_ladder, book_rows, limit, trades


def test_limit_orders_match_in_price_then_time_priority() -> None:
    e = Engine()
    ask_ladder(e, (1, 1, 5, 101), (2, 2, 5, 100), (3, 3, 5, 100))
    events = e.process(limit(4, 4, BUY, 12, 101))
    assert trades(events) == [(4, 2, 100, 5), (4, 3, 100, 5), (4, 1, 101, 2)]
    assert book_rows(e, SELL) == [(1, 101, 3, 3)]
    assert e.positions == {1: -2, 2: -5, 3: -5, 4: 12}


def test_a_limit_rests_its_remainder_at_its_price() -> None:
    e = Engine()
    ask_ladder(e, (1, 1, 5, 100))
    e.process(limit(2, 2, BUY, 8, 100))
    assert book_rows(e, BUY) == [(2, 100, 3, 3)]


def test_market_takes_everything_then_cancels_the_rest() -> None:
    e = Engine()
    ask_ladder(e, (1, 1, 2, 100), (2, 1, 2, 150))
    events = e.process(Place(1, 3, 2, BUY, Kind.MARKET, 10, tif=Tif.IOC))
    assert trades(events) == [(3, 1, 100, 2), (3, 2, 150, 2)]
    assert events[-1] == Canceled(3, 6, Done.UNFILLED)
    assert e.process(Place(1, 4, 2, BUY, Kind.MARKET, 1, tif=Tif.GTC)) == [Rejected(4, Reject.INVALID_TIF)]


def test_ioc_never_rests() -> None:
    e = Engine()
    ask_ladder(e, (1, 1, 2, 100))
    events = e.process(limit(2, 2, BUY, 5, 100, tif=Tif.IOC))
    assert trades(events) == [(2, 1, 100, 2)]
    assert events[-1] == Canceled(2, 3, Done.UNFILLED)
    assert book_rows(e, BUY) == []


def test_fok_fills_whole_or_is_refused_without_a_trace() -> None:
    e = Engine()
    ask_ladder(e, (1, 1, 2, 100), (2, 1, 2, 101))
    assert e.process(limit(3, 2, BUY, 5, 101, tif=Tif.FOK)) == [Rejected(3, Reject.FOK_NOT_FILLABLE)]
    assert book_rows(e, SELL) == [(1, 100, 2, 2), (2, 101, 2, 2)]
    assert trades(e.process(limit(4, 2, BUY, 4, 101, tif=Tif.FOK))) == [(4, 1, 100, 2), (4, 2, 101, 2)]


def test_fok_counts_iceberg_reserves() -> None:
    e = Engine()
    e.process(limit(1, 1, SELL, 10, 100, peak=2))
    assert len(trades(e.process(limit(2, 2, BUY, 10, 100, tif=Tif.FOK)))) == 5


def test_post_only_is_refused_when_it_would_take() -> None:
    e = Engine()
    ask_ladder(e, (1, 1, 2, 100))
    assert e.process(limit(2, 2, BUY, 1, 100, post_only=True)) == [Rejected(2, Reject.POST_ONLY_WOULD_TAKE)]
    assert e.process(limit(3, 2, BUY, 1, 99, post_only=True)) == [Accepted(3)]
    assert e.process(Amend(1, 3, 2, 100, 1)) == [Rejected(3, Reject.POST_ONLY_WOULD_TAKE)]


def test_gtd_expires_by_the_commands_clock() -> None:
    e = Engine()
    e.process(limit(1, 1, SELL, 2, 100, ts=1, tif=Tif.GTD, expire_ts=10))
    assert e.process(Tick(9)) == []
    assert e.process(Tick(10)) == [Canceled(1, 2, Done.EXPIRED)]
    assert e.process(limit(2, 1, SELL, 2, 100, ts=10, tif=Tif.GTD, expire_ts=10)) == [
        Rejected(2, Reject.INVALID_EXPIRY)
    ]
    assert e.process(Tick(5)) == [Rejected(0, Reject.CLOCK_WENT_BACKWARDS)]


def test_iceberg_shows_its_peak_and_refreshes_at_the_back() -> None:
    e = Engine()
    e.process(limit(1, 1, SELL, 5, 100, peak=2))
    e.process(limit(2, 2, SELL, 3, 100))
    assert book_rows(e, SELL) == [(1, 100, 5, 2), (2, 100, 3, 3)]
    events = e.process(limit(3, 3, BUY, 4, 100))
    assert trades(events) == [(3, 1, 100, 2), (3, 2, 100, 2)]  # the refreshed peak went behind order 2
    assert book_rows(e, SELL) == [(2, 100, 1, 1), (1, 100, 3, 2)]


def test_reduce_only_trades_at_most_the_position_and_never_rests() -> None:
    e = Engine()
    ask_ladder(e, (1, 1, 10, 100))
    e.process(limit(2, 2, BUY, 3, 100))  # account 2 is long 3
    e.process(limit(3, 3, BUY, 10, 99))
    sell = Place(1, 4, 2, SELL, Kind.MARKET, 10, tif=Tif.IOC, reduce_only=True)
    events = e.process(sell)
    assert trades(events) == [(4, 3, 99, 3)]
    assert e.positions[2] == 0
    assert e.process(sell._replace(order_id=5)) == [Rejected(5, Reject.REDUCE_ONLY_NO_POSITION)]
    assert e.process(limit(6, 2, SELL, 1, 99, reduce_only=True)) == [
        Rejected(6, Reject.REDUCE_ONLY_MUST_NOT_REST)
    ]


def test_cancel_removes_only_the_owners_live_order() -> None:
    e = Engine()
    ask_ladder(e, (1, 1, 2, 100))
    assert e.process(Cancel(1, 1, 2)) == [Rejected(1, Reject.NOT_OWNER)]
    assert e.process(Cancel(1, 1, 1)) == [Canceled(1, 2, Done.CANCELED)]
    assert e.process(Cancel(1, 1, 1)) == [Rejected(1, Reject.UNKNOWN_ORDER)]
    assert e.book.best(SELL) is None


def test_amend_keeps_priority_only_when_the_size_shrinks() -> None:
    e = Engine()
    ask_ladder(e, (1, 1, 5, 100), (2, 2, 5, 100))
    assert e.process(Amend(1, 1, 1, 0, 3)) == [Amended(1, 100, 3, True)]
    assert [r[0] for r in book_rows(e, SELL)] == [1, 2]
    assert e.process(Amend(1, 1, 1, 0, 4)) == [Amended(1, 100, 4, False)]  # grew: to the back
    assert [r[0] for r in book_rows(e, SELL)] == [2, 1]
    assert e.process(Amend(1, 2, 2, 101, 5)) == [Amended(2, 101, 5, False)]  # new price: new level
    assert book_rows(e, SELL) == [(1, 100, 4, 4), (2, 101, 5, 5)]


def test_an_amend_that_crosses_trades_like_a_new_order() -> None:
    e = Engine()
    ask_ladder(e, (1, 1, 5, 100))
    e.process(limit(2, 2, BUY, 5, 99))
    events = e.process(Amend(1, 2, 2, 100, 5))
    assert trades(events) == [(2, 1, 100, 5)]


def test_stops_fire_on_the_last_trade_price_and_cascade() -> None:
    e = Engine()
    ask_ladder(e, (1, 1, 1, 100), (2, 1, 1, 105), (3, 1, 5, 110))
    assert e.process(Place(1, 4, 2, BUY, Kind.STOP, 1, trigger=105, tif=Tif.IOC)) == [Accepted(4)]
    assert e.process(Place(1, 5, 3, BUY, Kind.STOP_LIMIT, 2, price=110, trigger=103, tif=Tif.GTC)) == [
        Accepted(5)
    ]
    events = e.process(limit(6, 4, BUY, 1, 100))  # trades at 100: nothing fires
    assert not any(isinstance(x, Triggered) for x in events)
    events = e.process(limit(7, 4, BUY, 1, 105))  # 105 reaches both: the older (4) fires first
    assert [x for x in events if isinstance(x, Triggered)] == [Triggered(4, 105), Triggered(5, 110)]
    assert trades(events) == [(7, 2, 105, 1), (4, 3, 110, 1), (5, 3, 110, 2)]


def test_take_profit_fires_the_other_way_and_a_stop_cannot_fire_at_once() -> None:
    e = Engine()
    ask_ladder(e, (1, 1, 1, 100))
    e.process(limit(2, 2, BUY, 1, 100))  # last = 100
    tp = Place(1, 3, 2, SELL, Kind.TAKE_PROFIT, 1, trigger=100, tif=Tif.IOC)
    assert e.process(tp) == [Rejected(3, Reject.STOP_WOULD_TRIGGER)]
    assert e.process(tp._replace(trigger=101)) == [Accepted(3)]
    assert e.process(Amend(1, 3, 2, 0, 1)) == [Rejected(3, Reject.NOT_AMENDABLE)]
    ask_ladder(e, (4, 1, 1, 101))
    e.process(limit(5, 4, BUY, 1, 101, tif=Tif.IOC))
    assert 3 not in e.stops


def test_malformed_orders_name_their_reason() -> None:
    e = Engine()
    cases = [
        (Place(1, 1, 1, BUY, Kind.LIMIT, 0, price=100), Reject.INVALID_QUANTITY),
        (Place(1, 1, 1, BUY, Kind.LIMIT, 1), Reject.INVALID_PRICE),
        (Place(1, 1, 1, BUY, Kind.MARKET, 1, price=5, tif=Tif.IOC), Reject.INVALID_PRICE),
        (Place(1, 1, 1, BUY, Kind.STOP, 1, tif=Tif.IOC), Reject.INVALID_TRIGGER),
        (Place(1, 1, 1, BUY, Kind.LIMIT, 5, price=1, peak=5), Reject.INVALID_PEAK),
        (Place(1, 1, 1, BUY, Kind.LIMIT, 5, price=1, peak=2, tif=Tif.IOC), Reject.INVALID_PEAK),
        (Place(1, 1, 1, BUY, Kind.LIMIT, 5, price=1, tif=Tif.IOC, post_only=True), Reject.INVALID_POST_ONLY),
        (Place(1, 1, 1, BUY, Kind.LIMIT, 5, price=1, expire_ts=9), Reject.INVALID_EXPIRY),
    ]
    for cmd, reason in cases:
        assert e.process(cmd) == [Rejected(1, reason)]
    e.process(limit(1, 1, BUY, 1, 1))
    assert e.process(limit(1, 2, BUY, 1, 1)) == [Rejected(1, Reject.DUPLICATE_ORDER_ID)]
