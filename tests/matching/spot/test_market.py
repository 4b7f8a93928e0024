"""A spot market over the ledger: holds, trades as linked transfers with fees, releases, refusals."""

import pytest
from sqlalchemy import Engine

from matching.engine import Accepted, Canceled, Done, Kind, Place, Reject, Rejected, Side, Tif, Trade
from matching.markets import TPW_TUSD
from matching.spot.accounts import escrow_account, fees_account, trader_account
from matching.spot.errors import AmendNeedsFunds, InsufficientFunds, UnsupportedOrder
from matching.spot.market import SpotMarket
from tests.matching.spot.ledger_view import UNIT, assert_consistent, balance

TPW, QTU = TPW_TUSD.base, TPW_TUSD.quote


def limit(order_id: int, trader: int, side: Side, qty: int, price: int, tif: Tif = Tif.GTC) -> Place:
    return Place(0, order_id, trader, side, Kind.LIMIT, qty, price, tif=tif)


def test_a_resting_buy_holds_its_notional_and_highest_fee(market: SpotMarket, ledger: Engine) -> None:
    # 10 TPW at 2.00 tUSD: 20 tUSD notional, plus 20 bps (the taker's, the higher) = 0.04 tUSD.
    assert market.place(limit(11, 1, Side.BUY, 10, 200)) == [Accepted(11)]
    assert balance(ledger, escrow_account(TPW_TUSD, QTU)) == 20_040_000
    assert balance(ledger, trader_account(1, QTU)) == 100_000 * UNIT - 20_040_000
    assert_consistent(ledger, market)


def test_a_trade_settles_base_quote_and_both_fees(market: SpotMarket, ledger: Engine) -> None:
    market.place(limit(11, 1, Side.BUY, 10, 200))  # maker: 10 bps
    events = market.place(limit(12, 2, Side.SELL, 4, 190))  # taker at the maker's 2.00: 20 bps
    assert events == [Accepted(12), Trade(12, 11, 2, 1, int(Side.SELL), 200, 4)]
    notional = 8 * UNIT
    assert balance(ledger, trader_account(1, TPW)) == 1_004 * UNIT
    assert balance(ledger, trader_account(2, TPW)) == 996 * UNIT
    assert balance(ledger, trader_account(2, QTU)) == 100_000 * UNIT + notional - notional * 20 // 10_000
    assert balance(ledger, fees_account(TPW_TUSD, QTU)) == notional * 30 // 10_000
    # the buyer paid 8 tUSD + 10 bps and still holds 6 lots at 2.00 with the highest fee
    assert balance(ledger, trader_account(1, QTU)) == 100_000 * UNIT - 12_024_000 - 8_008_000
    assert_consistent(ledger, market)


def test_a_buy_filled_below_its_limit_gets_the_saving_back(market: SpotMarket, ledger: Engine) -> None:
    market.place(limit(11, 2, Side.SELL, 5, 150))
    market.place(limit(12, 1, Side.BUY, 5, 200, Tif.IOC))
    paid = 7_500_000 + 7_500_000 * 20 // 10_000
    assert balance(ledger, trader_account(1, QTU)) == 100_000 * UNIT - paid
    assert balance(ledger, escrow_account(TPW_TUSD, QTU)) == 0
    assert_consistent(ledger, market)


def test_cancel_and_unfilled_remainders_release_everything(market: SpotMarket, ledger: Engine) -> None:
    market.place(limit(11, 1, Side.SELL, 7, 300))
    assert market.cancel(1, 11) == [Canceled(11, 7, Done.CANCELED)]
    events = market.place(limit(12, 1, Side.BUY, 3, 100, Tif.IOC))
    assert events == [Accepted(12), Canceled(12, 3, Done.UNFILLED)]
    assert balance(ledger, trader_account(1, TPW)) == 1_000 * UNIT
    assert balance(ledger, trader_account(1, QTU)) == 100_000 * UNIT
    assert_consistent(ledger, market)


def test_a_refused_order_gives_its_hold_back(market: SpotMarket, ledger: Engine) -> None:
    market.place(limit(11, 2, Side.SELL, 1, 100))
    events = market.place(Place(0, 12, 1, Side.BUY, Kind.LIMIT, 1, 100, post_only=True))
    assert events == [Rejected(12, Reject.POST_ONLY_WOULD_TAKE)]
    assert balance(ledger, trader_account(1, QTU)) == 100_000 * UNIT
    assert_consistent(ledger, market)


def test_an_unfunded_order_is_refused_before_the_journal(market: SpotMarket, ledger: Engine) -> None:
    seq = market.book.last_seq
    with pytest.raises(InsufficientFunds):
        market.place(limit(11, 1, Side.SELL, 1_001, 100))
    with pytest.raises(InsufficientFunds):
        market.place(limit(12, 3, Side.BUY, 1, 100))  # a trader with no account
    assert market.book.last_seq == seq


def test_market_and_stop_orders_are_not_spot_orders(market: SpotMarket) -> None:
    with pytest.raises(UnsupportedOrder):
        market.place(Place(0, 11, 1, Side.BUY, Kind.MARKET, 1, tif=Tif.IOC))


def test_amend_within_the_hold_and_beyond_it(market: SpotMarket, ledger: Engine) -> None:
    market.place(limit(11, 1, Side.BUY, 10, 200))
    market.amend(1, 11, 0, 4)  # shrink: 6 lots' reservation goes back
    assert balance(ledger, escrow_account(TPW_TUSD, QTU)) == 8_016_000
    with pytest.raises(AmendNeedsFunds):
        market.amend(1, 11, 0, 5)
    market.amend(1, 11, 150, 4)  # a lower price needs less
    assert balance(ledger, escrow_account(TPW_TUSD, QTU)) == 6_012_000
    assert_consistent(ledger, market)


def test_gtd_expiry_releases_on_tick(market: SpotMarket, ledger: Engine) -> None:
    market.place(Place(0, 11, 1, Side.SELL, Kind.LIMIT, 2, 500, tif=Tif.GTD, expire_ts=10**6))
    market.clock = lambda: 2 * 10**6
    assert market.tick() == [Canceled(11, 2, Done.EXPIRED)]
    assert balance(ledger, trader_account(1, TPW)) == 1_000 * UNIT
    assert_consistent(ledger, market)


def test_an_order_id_is_never_reused(market: SpotMarket, ledger: Engine) -> None:
    market.place(limit(11, 1, Side.SELL, 1, 300))
    market.cancel(1, 11)
    with pytest.raises(UnsupportedOrder):
        market.place(limit(11, 1, Side.SELL, 1, 300))
    assert_consistent(ledger, market)
