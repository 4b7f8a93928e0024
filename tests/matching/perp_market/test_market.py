"""The perpetual market over the ledger: deposits, orders, fills, withdrawals and settings, each posted
as linked transfers whose balances equal the domain's."""

import pytest
from sqlalchemy import Engine

from ledger.journal import lookup_references
from matching.engine import Kind, Place, Side, Tif, Trade
from matching.perp_market.accounts import CURRENCY, margin_account, wallet_account
from matching.perp_market.errors import InsufficientFunds, MarginRefused, UnsupportedOrder
from matching.perp_market.market import PerpMarket
from matching.perp_market.postings import Cause
from tests.matching.perp_market.conftest import OpenPerp
from tests.matching.perp_market.view import UNIT, assert_ledger_agrees, balance

PRICE = 25_000  # 2.5 tUSD per TPW, in ticks of 0.0001
LOT_AT_PRICE = PRICE  # one lot (0.01 TPW) at PRICE is worth PRICE minor units (multiplier 1)


def opened(perp: PerpMarket) -> None:
    """Traders 1 and 2 deposit 1,000 tUSD each; the first price round sets the mark."""
    perp.deposit(1, 101, 1_000 * UNIT)
    perp.deposit(2, 102, 1_000 * UNIT)
    perp.price_round(PRICE)


def test_a_deposit_moves_wallet_money_into_margin(perp: PerpMarket, ledger: Engine) -> None:
    perp.deposit(1, 101, 250 * UNIT)
    assert balance(ledger, wallet_account(1)) == 99_750 * UNIT
    assert balance(ledger, margin_account(perp.id, 1)) == 250 * UNIT
    assert perp.runner.perp.accounts[1].collateral == 250 * UNIT
    assert_ledger_agrees(ledger, perp)
    with pytest.raises(InsufficientFunds):
        perp.deposit(1, 103, 10**6 * UNIT)
    assert balance(ledger, wallet_account(1)) == 99_750 * UNIT


def test_a_trade_posts_fees_and_later_pnl(perp: PerpMarket, ledger: Engine) -> None:
    opened(perp)
    perp.place(Place(0, 11, 1, Side.BUY, Kind.LIMIT, 10_000, PRICE))
    events = perp.place(Place(0, 12, 2, Side.SELL, Kind.LIMIT, 10_000, PRICE, tif=Tif.IOC))
    assert [type(e) for e in events].count(Trade) == 1
    notional = 10_000 * LOT_AT_PRICE
    assert perp.runner.perp.fees == notional * 2 // 10_000 + notional * 5 // 10_000  # maker 2, taker 5 bps
    assert_ledger_agrees(ledger, perp)
    # trader 2 closes at a higher price: trader 1 (long) realises the gain against clearing
    perp.place(Place(0, 13, 2, Side.BUY, Kind.LIMIT, 10_000, PRICE + 100))
    perp.place(Place(0, 14, 1, Side.SELL, Kind.LIMIT, 10_000, PRICE + 100, tif=Tif.IOC, reduce_only=True))
    assert perp.runner.perp.accounts[1].position.realised_pnl == 10_000 * 100
    assert_ledger_agrees(ledger, perp)
    seq = perp.book.last_seq
    stored = lookup_references(ledger, [(CURRENCY, f"perp:{perp.id}:b{seq}:{n}") for n in range(4)])
    assert {t.code for t in stored.values()} == {Cause.FEE, Cause.PNL}


def test_orders_the_margin_cannot_carry_are_refused_before_the_journal(perp: PerpMarket) -> None:
    with pytest.raises(InsufficientFunds):
        perp.place(Place(0, 11, 1, Side.BUY, Kind.LIMIT, 1, PRICE))  # no margin account yet
    opened(perp)
    seq = perp.book.last_seq
    # 1,000 tUSD at 5x carries 5,000 tUSD: 200,000 lots at 2.5 is exactly that, before the fee
    with pytest.raises(MarginRefused) as refused:
        perp.place(Place(0, 11, 1, Side.BUY, Kind.LIMIT, 200_000, PRICE))
    assert refused.value.field == "qty"
    with pytest.raises(MarginRefused) as refused:
        perp.place(Place(0, 12, 1, Side.SELL, Kind.LIMIT, 1, PRICE, tif=Tif.IOC, reduce_only=True))
    assert refused.value.field == "reduce_only"
    with pytest.raises(UnsupportedOrder):
        perp.place(Place(0, 13, 1, Side.BUY, Kind.MARKET, 1, 0, tif=Tif.IOC))
    assert perp.book.last_seq == seq


def test_a_withdrawal_that_would_breach_initial_margin_is_refused(
    perp: PerpMarket, open_perp: OpenPerp, ledger: Engine
) -> None:
    opened(perp)
    perp.place(Place(0, 11, 1, Side.BUY, Kind.LIMIT, 100_000, PRICE))
    perp.place(Place(0, 12, 2, Side.SELL, Kind.LIMIT, 100_000, PRICE, tif=Tif.IOC))
    # 2,500 tUSD long at 5x needs 500 tUSD of initial margin; the fee took 0.5 tUSD
    with pytest.raises(MarginRefused) as refused:
        perp.withdraw(1, 201, 500 * UNIT)
    assert refused.value.field == "amount"
    with pytest.raises(MarginRefused):
        perp.withdraw(1, 201, 500 * UNIT)  # the same id again: answered as the first time
    wallet = balance(ledger, wallet_account(1))
    perp.withdraw(1, 202, 400 * UNIT)
    perp.withdraw(1, 202, 400 * UNIT)  # a retry: moves nothing more
    assert balance(ledger, wallet_account(1)) == wallet + 400 * UNIT
    assert_ledger_agrees(ledger, perp)
    perp.close()
    reopened = open_perp()
    reopened.withdraw(1, 202, 400 * UNIT)
    reopened.deposit(1, 101, 1_000 * UNIT)
    with pytest.raises(MarginRefused):
        reopened.withdraw(1, 201, 500 * UNIT)
    assert balance(ledger, wallet_account(1)) == wallet + 400 * UNIT
    assert_ledger_agrees(ledger, reopened)


def test_resting_orders_hold_their_margin(perp: PerpMarket, ledger: Engine) -> None:
    """Each side's resting orders are margined together, and no withdrawal or lower leverage may leave
    them unmargined: an account cannot rest more than it can carry, then withdraw and be filled."""
    opened(perp)
    perp.place(Place(0, 11, 1, Side.BUY, Kind.LIMIT, 100_000, PRICE))  # IM 500 tUSD + 1.25 fee
    with pytest.raises(MarginRefused) as refused:  # both filling: IM 1,000 tUSD + 2.5 of fees
        perp.place(Place(0, 12, 1, Side.BUY, Kind.LIMIT, 100_000, PRICE))
    assert refused.value.field == "qty"
    perp.place(Place(0, 13, 1, Side.SELL, Kind.LIMIT, 100_000, PRICE + 1))  # the other side: its own check
    with pytest.raises(MarginRefused) as refused:
        perp.withdraw(1, 201, 499 * UNIT)  # 501 left < 500 + 1.25
    assert refused.value.field == "amount"
    with pytest.raises(MarginRefused) as refused:
        perp.configure(1, 0, 2)  # IM 1,250 tUSD at 2x
    assert refused.value.field == "leverage"
    perp.withdraw(1, 202, 498 * UNIT)
    perp.cancel(1, 11)
    perp.cancel(1, 13)
    perp.withdraw(1, 201, 499 * UNIT)  # refused before the journal, so the same id goes through now
    perp.configure(1, 0, 2)
    assert perp.runner.perp.accounts[1].collateral == 3 * UNIT
    assert_ledger_agrees(ledger, perp)


def test_leverage_and_margin_mode(perp: PerpMarket, ledger: Engine) -> None:
    opened(perp)
    with pytest.raises(MarginRefused) as refused:
        perp.configure(1, 0, 6)
    assert refused.value.field == "leverage"
    perp.configure(1, 1, 2)  # isolated, 2x, while flat
    account = perp.runner.perp.accounts[1]
    assert (int(account.mode), account.leverage) == (1, 2)
    perp.place(Place(0, 11, 1, Side.BUY, Kind.LIMIT, 50_000, PRICE))
    perp.place(Place(0, 12, 2, Side.SELL, Kind.LIMIT, 50_000, PRICE, tif=Tif.IOC))
    account = perp.runner.perp.accounts[1]
    assert account.isolated_margin >= 625 * UNIT - 1_000  # half the 1,250 tUSD notional, less the fee
    with pytest.raises(MarginRefused) as refused:
        perp.configure(1, 0, 2)
    assert refused.value.field == "margin_mode"
    assert_ledger_agrees(ledger, perp)
