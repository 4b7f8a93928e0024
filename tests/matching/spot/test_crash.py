"""Crashes between the hold, the journal and the ledger: reopening posts nothing twice and loses nothing."""

from pathlib import Path

import pytest
from sqlalchemy import Engine

from ledger.transfers import create_transfer
from matching.engine import Kind, Place, Side
from matching.markets import TPW_TUSD
from matching.spot import market as market_module
from matching.spot.accounts import trader_account
from matching.spot.errors import MarketBusy, MarketHalted
from matching.spot.market import CURSOR_EVERY, SpotMarket
from matching.spot.poster import CURSOR_NAME, read_cursor
from matching.spot.settlement import hold_spec
from tests.matching.spot.conftest import OpenMarket
from tests.matching.spot.ledger_view import UNIT, assert_consistent, balance, transfer_count


def flow(spot: SpotMarket) -> None:
    spot.place(Place(0, 11, 1, Side.BUY, Kind.LIMIT, 10, 200))
    spot.place(Place(0, 12, 2, Side.SELL, Kind.LIMIT, 4, 190))


def test_a_crash_between_journal_and_ledger_is_posted_at_reopen(
    market: SpotMarket, open_market: OpenMarket, ledger: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    market.place(Place(0, 11, 1, Side.BUY, Kind.LIMIT, 10, 200))

    def crash(*_: object) -> None:
        raise OSError("the process died here")

    monkeypatch.setattr(market_module, "post", crash)
    with pytest.raises(MarketHalted):
        market.place(Place(0, 12, 2, Side.SELL, Kind.LIMIT, 4, 190))  # journaled, matched, not posted
    with pytest.raises(MarketHalted):
        market.cancel(1, 11)  # a halted market takes nothing more
    monkeypatch.undo()
    assert balance(ledger, trader_account(1, TPW_TUSD.base)) == 1_000 * UNIT
    market.close()

    reopened = open_market()
    assert balance(ledger, trader_account(1, TPW_TUSD.base)) == 1_004 * UNIT
    assert_consistent(ledger, reopened)


def test_a_cursor_behind_the_ledger_posts_nothing_twice(
    market: SpotMarket, open_market: OpenMarket, ledger: Engine, tmp_path: Path
) -> None:
    flow(market)
    count = transfer_count(ledger)
    market.close()
    (tmp_path / "book" / CURSOR_NAME).unlink()  # as if every posting's cursor write had been lost

    reopened = open_market()
    assert transfer_count(ledger) == count
    assert_consistent(ledger, reopened)
    reopened.close()
    assert transfer_count(ledger) == count


def test_a_hold_the_journal_never_took_is_released_at_reopen(
    market: SpotMarket, open_market: OpenMarket, ledger: Engine
) -> None:
    flow(market)
    orphan = Place(0, 99, 1, Side.BUY, Kind.LIMIT, 3, 100)
    assert create_transfer(ledger, hold_spec(TPW_TUSD, orphan)).ok  # the process died before the journal
    before = balance(ledger, trader_account(1, TPW_TUSD.quote))
    market.close()

    reopened = open_market()
    assert reopened.orphans_released == [99]
    assert balance(ledger, trader_account(1, TPW_TUSD.quote)) == before + 3_006_000
    assert_consistent(ledger, reopened)
    reopened.close()
    assert open_market().orphans_released == []  # released once


def test_a_second_writer_of_the_book_is_refused(market: SpotMarket, open_market: OpenMarket) -> None:
    with pytest.raises(MarketBusy):
        open_market()
    market.close()
    open_market()  # the lock went with the first writer


def test_the_tape_is_rebuilt_from_the_journal(market: SpotMarket, open_market: OpenMarket) -> None:
    flow(market)
    trades = market.tape.recent(10)
    assert [(trade.price, trade.qty) for trade in trades] == [(200, 4)]
    market.close()
    assert open_market().tape.recent(10) == trades


def test_the_cursor_is_written_every_few_commands_and_at_close(
    market: SpotMarket, open_market: OpenMarket, ledger: Engine
) -> None:
    flow(market)
    assert read_cursor(market.book.directory) == 0  # behind: a crash now re-posts both, answered exists
    count = transfer_count(ledger)
    for order_id in range(100, 100 + CURSOR_EVERY):
        market.place(Place(0, order_id, 1, Side.BUY, Kind.LIMIT, 1, 100))
    assert 0 < read_cursor(market.book.directory) <= market.book.last_seq
    market.close()
    assert read_cursor(market.book.directory) == market.book.last_seq == CURSOR_EVERY + 2
    reopened = open_market()
    assert transfer_count(ledger) == count + CURSOR_EVERY  # one hold each, nothing posted twice
    assert_consistent(ledger, reopened)
