"""`/v1/markets`: the markets, the book of the key's mode, recent trades and candles from the tape."""

from tests.api.merchants.conftest import Onboarded
from tests.api.orders.conftest import Fund

ORDERS, MARKETS = "/v1/orders", "/v1/markets"


def test_market_data_follows_the_trades(merchant_a: Onboarded, merchant_b: Onboarded, fund: Fund) -> None:
    for merchant in (merchant_a, merchant_b):
        fund(merchant, False, 100, 10_000)
    listed = merchant_a.sandbox.get(MARKETS).json()["data"]
    assert [(m["id"], m["tick"], m["lot"], m["quote"]) for m in listed] == [
        ("TPW-tUSD", "0.01", "1", "tUSD"),
        ("TPW-PERP", "0.0001", "0.01", "tUSD"),
    ]
    for price, qty in (("2.50", "3"), ("2.50", "2"), ("2.40", "5")):
        body = {"market": "TPW-tUSD", "side": "buy", "price": price, "qty": qty}
        assert merchant_a.sandbox.post(ORDERS, body).status_code == 201
    merchant_b.sandbox.post(ORDERS, {"market": "TPW-tUSD", "side": "sell", "price": "2.60", "qty": "7"})
    book = merchant_b.sandbox.get(f"{MARKETS}/TPW-tUSD/book?depth=5").json()
    assert book["bids"] == [{"price": "2.5", "qty": "5"}, {"price": "2.4", "qty": "5"}]
    assert book["asks"] == [{"price": "2.6", "qty": "7"}]
    assert merchant_a.live.get(f"{MARKETS}/TPW-tUSD/book").json()["bids"] == []  # the live book is another

    merchant_b.sandbox.post(
        ORDERS, {"market": "TPW-tUSD", "side": "sell", "price": "2.40", "qty": "6", "time_in_force": "ioc"}
    )
    trades = merchant_a.sandbox.get(f"{MARKETS}/TPW-tUSD/trades").json()["data"]
    assert [(t["price"], t["qty"], t["taker_side"]) for t in trades] == [
        ("2.4", "1", "sell"),
        ("2.5", "2", "sell"),
        ("2.5", "3", "sell"),
    ]
    (candle,) = merchant_a.sandbox.get(f"{MARKETS}/TPW-tUSD/candles?interval=1h").json()["data"]
    assert (candle["open"], candle["high"], candle["low"], candle["close"], candle["volume"]) == (
        "2.5",
        "2.5",
        "2.4",
        "2.4",
        "6",
    )
    assert merchant_a.sandbox.get(f"{MARKETS}/BTC-USD/book").status_code == 404
    assert merchant_a.sandbox.get(f"{MARKETS}/TPW-tUSD/candles?interval=7m").status_code == 422


def test_balances_show_available_and_held_per_mode(merchant_a: Onboarded, fund: Fund) -> None:
    fund(merchant_a, False, 10, 100)
    body = {"market": "TPW-tUSD", "side": "buy", "price": "2.50", "qty": "4"}
    assert merchant_a.sandbox.post(ORDERS, body).status_code == 201
    sandbox = merchant_a.sandbox.get(f"{MARKETS}/TPW-tUSD/balances").json()
    # 4 TPW at 2.50 is 10 tUSD, plus the 0.20 % taker fee held: 10.02
    assert sandbox["data"] == [
        {"currency": "TPW", "available": "10", "held": "0"},
        {"currency": "tUSD", "available": "89.98", "held": "10.02"},
    ]
    live = merchant_a.live.get(f"{MARKETS}/TPW-tUSD/balances").json()
    assert [(b["available"], b["held"]) for b in live["data"]] == [("0", "0"), ("0", "0")]
