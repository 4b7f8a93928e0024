"""TPW-PERP in the market data: `/v1/markets` lists it, its book, trades and candles answer from the
perpetual's own book and tape, the stream serves it (a local book from the stream equals the REST book);
its trades are recorded for settlement (venue 2). The other mode sees another book; a key without
`orders:read` is refused; the spot-only balances are not the perpetual's (404)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.testclient import WebSocketDenialResponse

from api.auth import issue_api_key
from matching.settlement.leaf import Venue
from matching.settlement.schema import settlement_trades
from tests.api.merchants.conftest import Onboarded
from tests.api.orders.stream_client import connect, current_seq, rest_book, stream_path
from tests.api.perps.conftest import Perp, order

ORDERS, MARKETS, PERP = "/v1/orders", "/v1/markets", "TPW-PERP"


def test_the_perpetual_is_listed(merchant_a: Onboarded) -> None:
    listed = {m["id"]: m for m in merchant_a.sandbox.get(MARKETS).json()["data"]}
    assert set(listed) == {"TPW-tUSD", PERP}
    perp = listed[PERP]
    assert (perp["base"], perp["quote"], perp["tick"], perp["lot"]) == ("TPW", "tUSD", "0.0001", "0.01")
    assert (perp["maker_fee_bps"], perp["taker_fee_bps"]) == (2, 5)


def test_book_trades_and_candles_follow_the_perpetual(
    traders: tuple[Onboarded, Onboarded], perp: Perp
) -> None:
    a, b = traders
    assert a.sandbox.post(ORDERS, order("buy", "2.5", "100")).status_code == 201
    assert a.sandbox.post(ORDERS, order("buy", "2.49", "30")).status_code == 201
    assert b.sandbox.post(ORDERS, order("sell", "2.51", "20")).status_code == 201
    book = b.sandbox.get(f"{MARKETS}/{PERP}/book?depth=5").json()
    assert (book["market"], book["livemode"]) == (PERP, False)
    assert book["bids"] == [{"price": "2.5", "qty": "100"}, {"price": "2.49", "qty": "30"}]
    assert book["asks"] == [{"price": "2.51", "qty": "20"}]
    assert a.live.get(f"{MARKETS}/{PERP}/book").json()["bids"] == []  # the live book is another

    taken = b.sandbox.post(ORDERS, order("sell", "2.49", "110", time_in_force="ioc"))
    assert taken.status_code == 201, taken.text
    trades = a.sandbox.get(f"{MARKETS}/{PERP}/trades").json()["data"]
    assert [(t["price"], t["qty"], t["taker_side"]) for t in trades] == [
        ("2.49", "10", "sell"),
        ("2.5", "100", "sell"),
    ]
    (candle,) = a.sandbox.get(f"{MARKETS}/{PERP}/candles?interval=1h").json()["data"]
    assert (candle["open"], candle["high"], candle["low"], candle["close"], candle["volume"]) == (
        "2.5",
        "2.5",
        "2.49",
        "2.49",
        "110",
    )
    assert a.live.get(f"{MARKETS}/{PERP}/trades").json()["data"] == []

    market = perp(False)
    with market.database.connect() as connection:
        rows = connection.execute(
            select(settlement_trades).where(settlement_trades.c.market == market.id)
        ).all()
    assert sorted((row.venue, row.price, row.qty) for row in rows) == [
        (int(Venue.PERPETUAL), 24_900, 1_000),  # ticks of 0.0001 tUSD, lots of 0.01 TPW
        (int(Venue.PERPETUAL), 25_000, 10_000),
    ]


def test_bad_market_data_requests_are_4xx(traders: tuple[Onboarded, Onboarded]) -> None:
    a, _ = traders
    assert a.sandbox.get(f"{MARKETS}/{PERP}/candles?interval=7m").status_code == 422
    assert a.sandbox.get(f"{MARKETS}/{PERP}/book?depth=0").status_code == 422
    balances = a.sandbox.get(f"{MARKETS}/{PERP}/balances")  # the perpetual's margin is /v1/margin
    assert balances.status_code == 404
    assert balances.json()["type"].endswith("market-not-found")


def test_the_stream_serves_the_perpetual(traders: tuple[Onboarded, Onboarded]) -> None:
    a, b = traders
    start = current_seq(a.sandbox, PERP)
    with connect(a.sandbox, PERP) as local:
        for side, price, qty, tif in (
            ("buy", "2.5", "100", "gtc"),
            ("buy", "2.48", "40", "gtc"),
            ("sell", "2.52", "25", "gtc"),
            ("sell", "2.48", "120", "ioc"),
        ):
            caller = a if side == "buy" else b
            placed = caller.sandbox.post(ORDERS, order(side, price, qty, time_in_force=tif))
            assert placed.status_code == 201, placed.text
        local.follow(start + 4)
        assert local.view() == rest_book(a.sandbox, PERP)
        assert local.view()["bids"] == [{"price": "2.48", "qty": "20"}]
        assert [(t["price"], t["qty"]) for t in local.trades] == [("2.5", "100"), ("2.48", "20")]


def test_the_perpetuals_market_data_refuses_keys_without_the_scope(
    client: TestClient, session: Any, merchant_a: Onboarded
) -> None:
    issued = merchant_a.sandbox.post(
        f"/v1/merchants/{merchant_a.id}/api-keys", {"mode": "sandbox", "scopes": ["payments:read"]}
    )
    assert issued.status_code == 201, issued.text
    narrow = type(merchant_a.sandbox)(merchant_a.sandbox.client, issued.json()["token"])
    for path in ("", f"/{PERP}/book", f"/{PERP}/trades", f"/{PERP}/candles"):
        assert narrow.get(f"{MARKETS}{path}").status_code == 403, path
    operator = issue_api_key(session, "desk", ["ledger:read"]).token
    for token in (narrow.token, operator):
        with pytest.raises(WebSocketDenialResponse) as denied:
            client.websocket_connect(
                stream_path(PERP), headers={"Authorization": f"Bearer {token}"}
            ).__enter__()
        assert denied.value.status_code == 403
