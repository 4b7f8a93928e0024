"""Restarts: funding settles once per interval across a reopen; an unclean close (journal ahead of the
ledger, a cursor lost, a deposit the journal never took, a price round's liquidation orders cut off)
is caught up at open with nothing posted twice, and positions and ledger agree."""

from pathlib import Path

import pytest
from sqlalchemy import Engine

from ledger.model import TransferSpec
from ledger.transfers import create_transfer
from matching.engine import Kind, Place, Side, Tif
from matching.perp_market import market as market_module
from matching.perp_market.accounts import CURRENCY, deposits_account, wallet_account
from matching.perp_market.errors import MarketHalted
from matching.perp_market.market import CURSOR_NAME, PerpMarket, deposit_reference
from tests.matching.perp_market.conftest import OpenPerp, long_over_a_bid
from tests.matching.perp_market.view import UNIT, assert_ledger_agrees, balance, records, transfer_count

PRICE = 25_000


def positions(market: PerpMarket) -> dict[int, tuple[int, int, int]]:
    everyone = market.runner.perp.everyone()
    return {a.id: (a.position.size, a.position.entry_value, a.total_money()) for a in everyone}


def trade(perp: PerpMarket) -> None:
    perp.deposit(1, 101, 1_000 * UNIT)
    perp.deposit(2, 102, 1_000 * UNIT)
    perp.price_round(PRICE)
    perp.place(Place(0, 11, 2, Side.SELL, Kind.LIMIT, 50_000, PRICE))
    perp.place(Place(0, 12, 1, Side.BUY, Kind.LIMIT, 50_000, PRICE, tif=Tif.IOC))


def test_funding_settles_once_per_interval_across_a_restart(
    perp: PerpMarket, open_perp: OpenPerp, ledger: Engine
) -> None:
    trade(perp)
    rounds = 0
    while not records(ledger, "funding_paid"):  # the clock moves an hour a reading
        perp.price_round(PRICE)  # no premium: the interest rate alone, longs pay shorts
        rounds += 1
    assert rounds <= 8  # an interval is 8 hours
    paid = records(ledger, "funding_paid")
    assert {r.trader for r in paid} == {1, 2}
    assert sum(r.amount for r in paid) == 0
    assert [r.amount < 0 for r in paid if r.trader == 1] == [True]
    steps = {r.step for r in paid}
    assert len(steps) == 1
    before = positions(perp)
    perp.close()

    reopened = open_perp()
    assert positions(reopened) == before
    assert records(ledger, "funding_paid") == paid  # the replay settled the same interval: stored once
    assert reopened.runner.perp.funding.next_ts == perp.runner.perp.funding.next_ts
    reopened.price_round(PRICE)  # still within the next interval: nothing more
    assert records(ledger, "funding_paid") == paid
    assert_ledger_agrees(ledger, reopened)


def test_a_crash_between_journal_and_ledger_is_stored_at_reopen(
    perp: PerpMarket, open_perp: OpenPerp, ledger: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    trade(perp)

    def crash(*_: object) -> None:
        raise OSError("the process died here")

    monkeypatch.setattr(market_module, "post", crash)
    with pytest.raises(MarketHalted):
        perp.place(Place(0, 13, 1, Side.SELL, Kind.LIMIT, 20_000, PRICE - 10))  # journaled, not posted
    with pytest.raises(MarketHalted):
        perp.price_round(PRICE)  # a halted market takes nothing more
    monkeypatch.undo()
    perp.close()

    reopened = open_perp()
    assert reopened.runner.perp.accounts[1].position.size == 50_000
    assert_ledger_agrees(ledger, reopened)
    reopened.place(Place(0, 14, 2, Side.BUY, Kind.LIMIT, 20_000, PRICE - 10, tif=Tif.IOC))
    assert reopened.runner.perp.accounts[1].position.size == 30_000
    assert_ledger_agrees(ledger, reopened)


def test_an_unclean_close_replays_the_journals_and_posts_nothing_twice(
    perp: PerpMarket, open_perp: OpenPerp, ledger: Engine, tmp_path: Path
) -> None:
    trade(perp)
    perp.deposit(3, 103, 500 * UNIT)
    perp.place(Place(0, 13, 3, Side.BUY, Kind.LIMIT, 30_000, PRICE - 2_000))
    perp.price_round(PRICE - 1_500)
    perp.withdraw(2, 201, 100 * UNIT)
    count, stored = transfer_count(ledger), records(ledger)
    before, book = positions(perp), perp.book.state_hash()
    # no close: the journals' files stay as the dead process left them; its writer lock dies with it
    perp.book.close()
    perp.inputs.close()
    market_module.os.close(perp._writer_lock)
    perp._writer_lock = -1
    (tmp_path / "perp" / CURSOR_NAME).unlink()  # as if every cursor write had been lost

    reopened = open_perp()
    assert (positions(reopened), reopened.book.state_hash()) == (before, book)
    assert (transfer_count(ledger), records(ledger)) == (count, stored)
    assert_ledger_agrees(ledger, reopened)


def test_a_deposit_the_journal_never_took_is_given_back(
    perp: PerpMarket, open_perp: OpenPerp, ledger: Engine
) -> None:
    trade(perp)
    wallet = balance(ledger, wallet_account(1))
    moved = create_transfer(  # the process died after the ledger move, before the journal
        ledger,
        TransferSpec(
            reference=deposit_reference(perp.id, 999),
            debit_account_id=wallet_account(1),
            credit_account_id=deposits_account(perp.id),
            amount=70 * UNIT,
            currency=CURRENCY,
        ),
    )
    assert moved.ok
    perp.close()

    reopened = open_perp()
    assert reopened.deposits_released == [999]
    assert balance(ledger, wallet_account(1)) == wallet
    assert_ledger_agrees(ledger, reopened)
    reopened.close()
    assert open_perp().deposits_released == []


def test_liquidation_orders_a_crash_cut_off_are_sent_at_reopen(
    perp: PerpMarket, open_perp: OpenPerp, ledger: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_over_a_bid(perp, PRICE)
    book_seq = perp.book.last_seq

    def died(*_: object) -> None:
        raise OSError("the process died before the liquidation order reached the journal")

    monkeypatch.setattr(perp, "submit_live", died)
    with pytest.raises(MarketHalted):
        perp.price_round(20_000)  # the round is journaled; its first liquidation order is not
    monkeypatch.undo()
    assert perp.book.last_seq == book_seq
    perp.close()

    reopened = open_perp()
    assert reopened.book.last_seq > book_seq  # the replay sent the round's orders
    assert reopened.runner.perp.accounts[1].position.size < 50_000
    assert [r.trader for r in records(ledger, "liquidation_filled")][:1] == [1]
    assert_ledger_agrees(ledger, reopened)
    count = transfer_count(ledger)
    reopened.close()
    open_perp()
    assert transfer_count(ledger) == count


def test_the_stream_seq_goes_on_across_a_restart(perp: PerpMarket, open_perp: OpenPerp) -> None:
    subscription, _ = perp.subscribe(100, lambda: None)
    trade(perp)
    sent = [update.seq for update in subscription.take()]
    assert sent
    assert sent == list(range(1, len(sent) + 1))
    perp.close()

    reopened = open_perp()
    later, snapshot = reopened.subscribe(100, lambda: None)
    assert snapshot.seq >= sent[-1]
    reopened.place(Place(0, 21, 2, Side.SELL, Kind.LIMIT, 10_000, PRICE + 100))
    assert [update.seq for update in later.take()] == [snapshot.seq + 1]
