"""Paper trading end to end with sandbox keys: test money funded through the API (idempotent, sandbox
only), orders, a fill, balances to the unit, and the stream; the live mode untouched."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from api.auth import add_api_key
from api.settings import ApiSettings
from ledger.check import verify
from matching.markets import TPW_TUSD
from matching.markets.spec import units_text
from payments.merchants.tenant import Tenant
from tests.api.merchants.conftest import Caller, Onboarded
from tests.api.orders.conftest import balances
from tests.api.orders.stream_client import connect

MARKET = "/v1/markets/TPW-tUSD"
FUND = f"{MARKET}/sandbox-funds"
spec = TPW_TUSD


def tusd(units: int) -> str:
    return units_text(units, spec.quote_decimals)


def test_a_paper_session_end_to_end(
    client: TestClient, api_settings: ApiSettings, merchant_a: Onboarded, merchant_b: Onboarded
) -> None:
    a, b = merchant_a.sandbox, merchant_b.sandbox
    funded = a.post(FUND, {"base": "100", "quote": "1000"}, idempotency_key="fund-a")
    assert funded.status_code == 200, funded.text
    assert funded.json()["data"] == [
        {"currency": "TPW", "available": "100", "held": "0"},
        {"currency": "tUSD", "available": "1000", "held": "0"},
    ]
    again = a.post(FUND, {"base": "100", "quote": "1000"}, idempotency_key="fund-a")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == funded.json()
    assert b.post(FUND, {"base": "50"}).status_code == 200
    assert balances(a) == {"TPW": ("100", "0"), "tUSD": ("1000", "0")}  # credited once

    with connect(a) as book:
        resting = a.post("/v1/orders", {"market": "TPW-tUSD", "side": "buy", "price": "2.50", "qty": "10"})
        assert resting.status_code == 201, resting.text
        taker = b.post(
            "/v1/orders",
            {"market": "TPW-tUSD", "side": "sell", "price": "2.40", "qty": "4", "time_in_force": "ioc"},
        )
        assert (taker.json()["status"], taker.json()["filled_qty"]) == ("filled", "4")
        placed, traded = book.receive(), book.receive()
    assert placed["changes"] == [{"side": "buy", "price": "2.5", "qty": "10"}]
    assert traded["changes"] == [{"side": "buy", "price": "2.5", "qty": "6"}]
    assert [(t["price"], t["qty"], t["taker_side"]) for t in traded["trades"]] == [("2.5", "4", "sell")]
    assert a.get(f"/v1/orders/{resting.json()['id']}").json()["status"] == "partially_filled"

    notional = spec.notional(4, 250)
    held = spec.reserve_quote(6, 250)
    a_cash = 1_000 * 10**6 - notional - spec.fee(notional, spec.maker_fee_bps) - held
    assert balances(a) == {"TPW": ("104", "0"), "tUSD": (tusd(a_cash), tusd(held))}
    b_cash = notional - spec.fee(notional, spec.taker_fee_bps)
    assert balances(b) == {"TPW": ("46", "0"), "tUSD": (tusd(b_cash), "0")}

    assert balances(merchant_a.live) == {"TPW": ("0", "0"), "tUSD": ("0", "0")}
    engine = create_engine(api_settings.database_url)
    assert verify(engine) == []  # every currency sums to zero: the faucet's debit is the credits
    engine.dispose()


def test_test_money_is_for_sandbox_keys_with_orders_write(
    client: TestClient, session: Any, merchant_a: Onboarded
) -> None:
    refused = merchant_a.live.post(FUND, {"quote": "1000"})
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("sandbox-only")
    assert balances(merchant_a.live) == {"TPW": ("0", "0"), "tUSD": ("0", "0")}
    reader = add_api_key(session, "reader", ["orders:read"], Tenant(merchant_a.id, False))
    session.commit()
    assert Caller(client, reader.token).post(FUND, {"quote": "1"}).status_code == 403
    assert Caller(client, None).post(FUND, {"quote": "1"}).status_code == 401


def test_bad_amounts_are_named(merchant_a: Onboarded) -> None:
    a = merchant_a.sandbox
    for body, field in (
        ({"quote": "1.0000001"}, "quote"),
        ({"base": "-1"}, "base"),
        ({"base": "2000000"}, "base"),
        ({"quote": "0"}, "quote"),
        ({"quote": 5}, "quote"),
    ):
        answer = a.post(FUND, body)
        assert answer.status_code == 422, (body, answer.text)
        assert [error["field"] for error in answer.json()["errors"]][-1].endswith(field), answer.json()
    assert a.post("/v1/markets/BTC-USD/sandbox-funds", {"quote": "1"}).status_code == 404
    assert balances(a) == {"TPW": ("0", "0"), "tUSD": ("0", "0")}
