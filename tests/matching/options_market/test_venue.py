"""Option books on the ledger: premiums move with each trade, sells pass the margin gate first."""

import pytest
from sqlalchemy import select

from ledger.check import verify
from matching.engine import Side, Tif, Trade
from matching.options_market.accounts import margin_account
from matching.options_market.errors import InsufficientMargin, SeriesClosed
from matching.settlement.leaf import Venue
from matching.settlement.schema import settlement_trades
from matching.spot import market as market_module
from matching.spot.accounts import escrow_account, fees_account, trader_account
from matching.spot.errors import AmendNeedsFunds, MarketHalted
from tests.matching.options_market.conftest import CALL, PUT, World
from tests.matching.spot.ledger_view import UNIT, balance, transfer_count


def test_a_trade_moves_the_premium_and_fees_and_the_writer_holds_margin(world: World) -> None:
    ledger, venue, book = world.ledger, world.venue, world.venue.books[CALL.id]
    before = {trader: balance(ledger, trader_account(trader, "QTU")) for trader in (1, 2)}
    book.place(world.order(CALL, 2, Side.SELL, 3, 20))  # writes 3 calls at 0.20 tUSD
    held = balance(ledger, margin_account("options", 2))
    assert held == venue.margin(2).requirement > 0
    events = book.place(world.order(CALL, 1, Side.BUY, 3, 25, Tif.IOC))
    assert [(e.price, e.qty) for e in events if isinstance(e, Trade)] == [(20, 3)]
    premium = 3 * 20 * 10_000  # 0.60 tUSD
    assert balance(ledger, trader_account(1, "QTU")) == before[1] - premium - premium * 20 // 10_000
    assert balance(ledger, trader_account(2, "QTU")) == before[2] - held + premium - premium * 10 // 10_000
    assert balance(ledger, fees_account(book.market, "QTU")) == premium * 30 // 10_000
    assert balance(ledger, escrow_account(book.market, "QTU")) == 0  # the buy's hold beyond 0.20 went back
    assert book.book.engine.positions == {1: 3, 2: -3}
    assert verify(ledger) == []
    with ledger.connect() as connection:  # recorded for anchoring as an option's trade (leaf venue 3)
        recorded = connection.execute(select(settlement_trades.c.id, settlement_trades.c.venue)).all()
    assert [(row.venue, row.id.split(":")[:2]) for row in recorded if CALL.id in row.id] == [
        (Venue.OPTION, ["option", CALL.id])
    ]


def test_a_sell_beyond_the_free_balance_is_refused_before_the_journal(world: World) -> None:
    book = world.venue.books[PUT.id]
    seq, transfers = book.book.last_seq, transfer_count(world.ledger)
    with pytest.raises(InsufficientMargin):
        book.place(world.order(PUT, 4, Side.SELL, 10, 5))
    assert (book.book.last_seq, transfer_count(world.ledger)) == (seq, transfers)
    assert balance(world.ledger, trader_account(4, "QTU")) == 1 * UNIT


def test_a_covering_buy_or_a_closing_sell_needs_no_new_margin(world: World) -> None:
    book = world.venue.books[CALL.id]
    book.place(world.order(CALL, 2, Side.BUY, 5, 30))
    book.place(world.order(CALL, 1, Side.SELL, 5, 30, Tif.IOC))  # trader 1 now short 5: margin held
    assert world.venue.held_margin(1) == world.venue.margin(1).requirement > 0
    book.place(world.order(CALL, 2, Side.SELL, 5, 40))  # trader 2 sells what it holds: flat if filled
    assert world.venue.held_margin(2) == world.venue.margin(2).requirement == 0


def test_margin_counts_open_sells_across_series(world: World) -> None:
    venue = world.venue
    venue.books[CALL.id].place(world.order(CALL, 3, Side.SELL, 2, 50))
    one = balance(world.ledger, margin_account("options", 3))
    venue.books[PUT.id].place(world.order(PUT, 3, Side.SELL, 2, 50))
    assert balance(world.ledger, margin_account("options", 3)) == venue.margin(3).requirement > one
    assert [p.open_sell_lots for p in venue.positions(3)] == [2, 2]


def test_a_sell_cannot_grow_by_amend_and_expiry_closes_the_book(world: World) -> None:
    book = world.venue.books[CALL.id]
    placed = world.order(CALL, 2, Side.SELL, 2, 50)
    book.place(placed)
    with pytest.raises(AmendNeedsFunds):
        book.amend(2, placed.order_id, 0, 5)
    world.clock.now = CALL.expiry_us
    with pytest.raises(SeriesClosed):
        book.place(world.order(CALL, 1, Side.BUY, 1, 60))


def test_a_cancel_gives_back_the_margin_no_longer_needed(world: World) -> None:
    venue, book = world.venue, world.venue.books[CALL.id]
    wallet = balance(world.ledger, trader_account(3, "QTU"))
    resting = world.order(CALL, 3, Side.SELL, 4, 50)
    book.place(resting)
    assert venue.held_margin(3) > 0
    book.cancel(3, resting.order_id)
    assert venue.held_margin(3) == venue.margin(3).requirement == 0
    assert balance(world.ledger, trader_account(3, "QTU")) == wallet
    # with a filled short left, a cancel of another sell keeps exactly what the short needs
    book.place(world.order(CALL, 3, Side.SELL, 2, 50))
    book.place(world.order(CALL, 1, Side.BUY, 2, 50, Tif.IOC))
    other = world.order(PUT, 3, Side.SELL, 5, 40)
    venue.books[PUT.id].place(other)
    venue.books[PUT.id].cancel(3, other.order_id)
    assert venue.held_margin(3) == venue.margin(3).requirement > 0
    assert verify(world.ledger) == []


def test_buying_back_a_short_gives_its_margin_back_at_once(world: World) -> None:
    """The writer closes as a taker (its buy crosses) or as a maker (its resting buy is hit): either
    way the margin the short needed returns with the trade, not at the next cancel or the expiry."""
    venue, book = world.venue, world.venue.books[CALL.id]
    book.place(world.order(CALL, 3, Side.SELL, 4, 50))
    book.place(world.order(CALL, 1, Side.BUY, 4, 50, Tif.IOC))  # trader 3 short 4
    short_four = venue.held_margin(3)
    assert short_four == venue.margin(3).requirement > 0
    book.place(world.order(CALL, 2, Side.SELL, 2, 60))
    book.place(world.order(CALL, 3, Side.BUY, 2, 60, Tif.IOC))  # taker: short 2 left
    assert venue.held_margin(3) == venue.margin(3).requirement < short_four
    book.place(world.order(CALL, 3, Side.BUY, 2, 55))  # resting ...
    book.place(world.order(CALL, 2, Side.SELL, 2, 55, Tif.IOC))  # ... hit: flat
    assert book.book.engine.positions.get(3, 0) == 0
    assert venue.held_margin(3) == venue.margin(3).requirement == 0
    assert verify(world.ledger) == []


def test_a_premium_cut_off_by_a_crash_after_the_journal_is_posted_once_at_reopen(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = world.venue.books[CALL.id]
    book.place(world.order(CALL, 2, Side.SELL, 2, 20))
    seller = balance(world.ledger, trader_account(2, "QTU"))

    def crash(*_: object) -> None:
        raise OSError("the process died here")

    monkeypatch.setattr(market_module, "post", crash)
    with pytest.raises(MarketHalted):
        book.place(world.order(CALL, 1, Side.BUY, 2, 20, Tif.IOC))  # journaled and matched, not posted
    monkeypatch.undo()
    assert balance(world.ledger, trader_account(2, "QTU")) == seller
    world.venue.close()
    world.venue = world.open_venue()
    premium = 2 * 20 * 10_000
    assert balance(world.ledger, trader_account(2, "QTU")) == seller + premium - premium * 10 // 10_000
    assert balance(world.ledger, escrow_account(world.venue.books[CALL.id].market, "QTU")) == 0
    count = transfer_count(world.ledger)
    world.venue.close()
    world.venue = world.open_venue()
    assert transfer_count(world.ledger) == count
    assert verify(world.ledger) == []
