"""Expiry settlement: cash at the index, shorts pay and longs are paid once, the book closes, margin comes
back; a crash mid-settlement resumes without paying twice; an index move after the fixing changes nothing."""

import pytest

from ledger.check import verify
from matching.engine import Side, Tif
from matching.options_market import expiry as expiry_module
from matching.options_market.accounts import settlement_account, shortfall_account
from matching.options_market.expiry import NotExpired, settle, settle_due
from matching.options_market.records import fixing
from matching.spot.accounts import escrow_account, trader_account
from tests.matching.options_market.conftest import CALL, PUT, World
from tests.matching.spot.ledger_view import balance, transfer_count


def trade_calls(world: World) -> None:
    """Trader 2 writes 4 calls to trader 1 at 0.10; trader 3 leaves a buy resting (held premium)."""
    book = world.venue.books[CALL.id]
    book.place(world.order(CALL, 2, Side.SELL, 4, 10))
    book.place(world.order(CALL, 1, Side.BUY, 4, 10, Tif.IOC))
    book.place(world.order(CALL, 3, Side.BUY, 2, 5))


def test_settlement_pays_intrinsic_value_once_and_closes_the_book(world: World) -> None:
    trade_calls(world)
    with pytest.raises(NotExpired):
        settle(world.venue, CALL.id)
    wallets = {trader: balance(world.ledger, trader_account(trader, "QTU")) for trader in (1, 2, 3)}
    margin = world.venue.held_margin(2)
    world.set_index(300)  # the spot trades at 3.00: the 2.50 call is 0.50 in the money
    world.clock.now = CALL.expiry_us
    settled = {done.series_id: done for done in settle_due(world.venue)}
    assert set(settled) == {CALL.id, PUT.id}  # the two series of that expiry; the later one trades on
    done = settled[CALL.id]
    assert (done.series_id, done.per_contract, done.paid_by_shorts, done.shortfall) == (
        CALL.id,
        500_000,
        2_000_000,
        0,
    )
    assert balance(world.ledger, trader_account(1, "QTU")) == wallets[1] + 2_000_000
    assert balance(world.ledger, trader_account(3, "QTU")) == wallets[3] + 2 * 5 * 10_000 * 10_020 // 10_000
    # the writer paid from its margin; what the margin held beyond that came back (no other exposure)
    assert world.venue.held_margin(2) == 0
    assert balance(world.ledger, trader_account(2, "QTU")) == wallets[2] + margin - 2_000_000
    assert balance(world.ledger, settlement_account(CALL.id)) == 0
    assert balance(world.ledger, escrow_account(world.venue.books[CALL.id].market, "QTU")) == 0
    assert world.venue.books[CALL.id].book.engine.book.orders == {}
    assert verify(world.ledger) == []
    recorded = fixing(world.ledger, CALL.id)
    assert recorded is not None
    assert (recorded.price, recorded.per_contract) == (3_000_000, 500_000)
    assert recorded.settled_at_us is not None
    count = transfer_count(world.ledger)
    assert settle_due(world.venue) == []
    settle(world.venue, CALL.id)  # by hand again: every step is already in the ledger
    assert transfer_count(world.ledger) == count


def test_an_out_of_the_money_series_pays_nothing_and_returns_margin(world: World) -> None:
    book = world.venue.books[PUT.id]
    book.place(world.order(PUT, 2, Side.SELL, 3, 20))
    book.place(world.order(PUT, 1, Side.BUY, 3, 20, Tif.IOC))
    wallet = balance(world.ledger, trader_account(2, "QTU"))
    held = world.venue.held_margin(2)
    world.clock.now = PUT.expiry_us  # the index stays at 2.40: the 2.50 put pays 0.10
    world.set_index(260)
    done = settle(world.venue, PUT.id)
    assert (done.per_contract, done.paid_by_shorts) == (0, 0)
    assert balance(world.ledger, trader_account(2, "QTU")) == wallet + held


def test_a_crash_mid_settlement_resumes_at_the_fixed_price(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    trade_calls(world)
    world.set_index(280)
    world.clock.now = CALL.expiry_us
    chain = expiry_module._chain
    calls = []

    def crash_after_the_shorts(*args: object) -> None:
        calls.append(args)
        if len(calls) > 1:
            raise OSError("the process died here")
        chain(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(expiry_module, "_chain", crash_after_the_shorts)
    with pytest.raises(OSError, match="died here"):
        settle(world.venue, CALL.id)
    monkeypatch.undo()
    assert balance(world.ledger, settlement_account(CALL.id)) == 4 * 300_000  # shorts in, longs not yet paid
    world.venue.close()
    world.set_index(400)  # the index moves after the fixing: the settlement keeps its price
    world.venue = world.open_venue()
    wallet = balance(world.ledger, trader_account(1, "QTU"))
    done = settle(world.venue, CALL.id)
    assert done.per_contract == 300_000
    assert balance(world.ledger, trader_account(1, "QTU")) == wallet + 4 * 300_000
    assert balance(world.ledger, settlement_account(CALL.id)) == 0
    assert verify(world.ledger) == []


def test_a_short_beyond_its_margin_and_wallet_is_advanced_from_the_shortfall(world: World) -> None:
    book = world.venue.books[CALL.id]
    book.place(world.order(CALL, 2, Side.SELL, 10, 10))
    book.place(world.order(CALL, 1, Side.BUY, 10, 10, Tif.IOC))
    # trader 2 spends its free tUSD on spot (a resting buy holds it), leaving only its margin
    free = balance(world.ledger, trader_account(2, "QTU"))
    world.spot.place(world.order(CALL, 2, Side.BUY, free // (100 * 10_020), 100))
    world.set_index(20_000)  # 200 tUSD: the call pays 197.50 a contract, far beyond the scan's range
    world.clock.now = CALL.expiry_us
    done = settle(world.venue, CALL.id)
    assert done.shortfall > 0
    assert balance(world.ledger, shortfall_account("options")) == -done.shortfall
    assert balance(world.ledger, trader_account(1, "QTU")) >= 10 * 19_750_000
    assert verify(world.ledger) == []
