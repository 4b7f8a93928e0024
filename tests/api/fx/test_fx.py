"""`/v1/fx`: quotes and conversions through HTTP on SQLite and PostgreSQL, amounts checked by hand, the ledger
balanced afterwards, and every refusal a problem document naming its field."""

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update

from api.settings import ApiSettings
from ledger.accounts import lookup_account
from ledger.check import verify
from ledger.model import AccountFlags
from payments.fx.schema import quotes
from tests.api.fx.conftest import Caller, OpenAccount
from tests.helpers.db import engine_on


def _quote(desk: Caller, sell: str, buy: str, **amount: str) -> dict[str, Any]:
    response = desk.post("/quotes", {"sell_currency": sell, "buy_currency": buy, **amount})
    assert response.status_code == 201, response.text
    return response.json()


def _field(response: Any, status: int = 422) -> str:
    assert response.status_code == status, response.text
    document = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    [error] = document["errors"]
    return str(error["field"])


def _posted(settings: ApiSettings, account_id: int) -> int:
    with engine_on(settings.database_url) as engine:
        account = lookup_account(engine, account_id)
    assert account is not None
    return account.balances.posted


@pytest.mark.parametrize(
    ("sell", "buy", "amount", "rate", "other"),
    [
        # 1.0832 x 0.995 = 1.077784 USD per EUR; 100.00 EUR -> 107.7784 -> 107.78 USD.
        ("EUR", "USD", {"sell_amount": "10000"}, "1.077784", {"buy_amount": "10778"}),
        # 162.45 / 1.0832 x 0.995 = 149.22244276... cut to 149.2224427; 10.00 USD -> 1492.22 -> 1492 JPY.
        ("USD", "JPY", {"sell_amount": "1000"}, "149.2224427", {"buy_amount": "1492"}),
        # 1 / 162.45 x 0.995 = 0.006124961526...; 100000 JPY -> 612.4961526 EUR -> 612.50 EUR.
        ("JPY", "EUR", {"sell_amount": "100000"}, "0.006124961526", {"buy_amount": "61250"}),
        # EUR/KWD has no spread: 0.3315 KWD per EUR; 1.00 EUR -> 331.5 fils -> 332 (half to even).
        ("EUR", "KWD", {"sell_amount": "100"}, "0.3315", {"buy_amount": "332"}),
        ("EUR", "KWD", {"sell_amount": "300"}, "0.3315", {"buy_amount": "994"}),  # 994.5 -> 994
        # Buying 1.001 KWD costs 1001 / 331.5 = 3.0196... EUR -> 302 cents.
        ("EUR", "KWD", {"buy_amount": "1001"}, "0.3315", {"sell_amount": "302"}),
        # tUSD is USD 1:1 (6 decimals): 10.00 USD -> 9.95 tUSD at 50 bps.
        ("USD", "tUSD", {"sell_amount": "1000"}, "0.995", {"buy_amount": "9950000"}),
    ],
)
def test_quotes_computed_by_hand(
    desk: Caller, sell: str, buy: str, amount: dict[str, str], rate: str, other: dict[str, str]
) -> None:
    quote = _quote(desk, sell, buy, **amount)
    assert quote["rate"] == rate
    assert {key: quote[key] for key in other} == other
    assert quote["status"] == "open"
    assert quote["rates_as_of"] == "2026-12-04"
    assert desk.get(f"/quotes/{quote['id']}").json() == quote


def test_a_conversion_posts_to_the_ledger_and_replays_on_retry(
    desk: Caller, open_account: OpenAccount, settings: ApiSettings
) -> None:
    eur, usd = open_account("EUR"), open_account("USD")
    quote = _quote(desk, "EUR", "USD", sell_amount="10000")
    body = {"quote_id": quote["id"], "sell_account_id": str(eur), "buy_account_id": str(usd)}
    response = desk.post("/conversions", body, key="convert-1")
    assert response.status_code == 201, response.text
    conversion = response.json()
    # At mid, 100.00 EUR is 108.32 USD: 107.78 paid, spread 0.5416 -> 0.54, nothing left to round.
    assert (conversion["spread_amount"], conversion["rounding_booked"]) == ("54", "0")
    assert conversion["quote"]["status"] == "converted"
    assert (_posted(settings, eur), _posted(settings, usd)) == (-10_000, 10_778)
    replayed = desk.post("/conversions", body, key="convert-1")
    assert (replayed.status_code, replayed.json()) == (201, conversion)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert _posted(settings, usd) == 10_778
    assert desk.get(f"/quotes/{quote['id']}").json()["status"] == "converted"
    with engine_on(settings.database_url) as engine:
        assert verify(engine) == []


def test_tusd_converts_into_its_ledger_currency(
    desk: Caller, open_account: OpenAccount, settings: ApiSettings
) -> None:
    usd, tusd = open_account("USD"), open_account("QTU")  # tUSD's ledger code (docs/fx.md)
    quote = _quote(desk, "USD", "tUSD", sell_amount="1000")
    body = {"quote_id": quote["id"], "sell_account_id": str(usd), "buy_account_id": str(tusd)}
    conversion = desk.post("/conversions", body).json()
    # 10.00 USD is worth 10.000000 tUSD at mid: 9.950000 paid, 0.050000 spread.
    assert (conversion["spread_amount"], conversion["rounding_booked"]) == ("50000", "0")
    assert (_posted(settings, usd), _posted(settings, tusd)) == (-1_000, 9_950_000)


def test_a_quote_converts_once(desk: Caller, open_account: OpenAccount, settings: ApiSettings) -> None:
    eur, usd = open_account("EUR"), open_account("USD")
    quote = _quote(desk, "EUR", "USD", sell_amount="500")
    body = {"quote_id": quote["id"], "sell_account_id": str(eur), "buy_account_id": str(usd)}
    assert desk.post("/conversions", body).status_code == 201
    again = desk.post("/conversions", body)
    assert _field(again, 409) == "quote_id"
    assert again.json()["type"] == "urn:tpwallet:problem:fx-quote-used"
    assert _posted(settings, eur) == -500


def test_an_expired_quote_is_refused_naming_quote_id(
    desk: Caller, open_account: OpenAccount, settings: ApiSettings
) -> None:
    eur, usd = open_account("EUR"), open_account("USD")
    quote = _quote(desk, "EUR", "USD", sell_amount="500")
    with engine_on(settings.database_url) as engine, engine.begin() as connection:
        connection.execute(
            update(quotes).where(quotes.c.id == quote["id"]).values(expires_at=quotes.c.created_at)
        )
    body = {"quote_id": quote["id"], "sell_account_id": str(eur), "buy_account_id": str(usd)}
    response = desk.post("/conversions", body)
    assert _field(response, 410) == "quote_id"
    assert response.json()["type"] == "urn:tpwallet:problem:fx-quote-expired"
    assert desk.get(f"/quotes/{quote['id']}").json()["status"] == "expired"
    assert _posted(settings, eur) == 0


def test_the_ledger_refusing_a_transfer_names_the_account(
    desk: Caller, open_account: OpenAccount, settings: ApiSettings
) -> None:
    broke = open_account("EUR", AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
    usd = open_account("USD")
    quote = _quote(desk, "EUR", "USD", sell_amount="500")
    body = {"quote_id": quote["id"], "sell_account_id": str(broke), "buy_account_id": str(usd)}
    assert _field(desk.post("/conversions", body)) == "sell_account_id"
    wrong = {**body, "sell_account_id": str(open_account("EUR")), "buy_account_id": str(open_account("JPY"))}
    assert _field(desk.post("/conversions", wrong)) == "buy_account_id"
    assert _posted(settings, usd) == 0
    assert desk.get(f"/quotes/{quote['id']}").json()["status"] == "open"  # still convertible


GOOD = {"sell_currency": "EUR", "buy_currency": "USD", "sell_amount": "1000"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sell_currency": "ABC"}, "sell_currency"),
        ({"buy_currency": "XAU"}, "buy_currency"),  # gold: no minor unit
        ({"buy_currency": "usd"}, "buy_currency"),
        ({"buy_currency": "KRW"}, "buy_currency"),  # ISO 4217, but no reference rate
        ({"buy_currency": "EUR"}, "buy_currency"),  # the same currency
        ({"sell_amount": "-5"}, "sell_amount"),
        ({"sell_amount": "0"}, "sell_amount"),
        ({"sell_amount": str(2**63)}, "sell_amount"),
        ({"sell_amount": "10.5"}, "sell_amount"),
        ({"sell_amount": "1e3"}, "sell_amount"),
        ({"sell_amount": 1000}, "sell_amount"),  # a JSON number
        ({"buy_amount": "1000"}, "buy_amount"),  # both sides given
        ({"sell_amount": None}, "sell_amount"),  # neither
    ],
)
def test_a_bad_quote_request_is_a_problem_naming_the_field(
    desk: Caller, change: dict[str, Any], field: str
) -> None:
    body = {key: value for key, value in {**GOOD, **change}.items() if value is not None}
    assert _field(desk.post("/quotes", body)) == field


@pytest.mark.parametrize("amount", ["-1", "0", str(2**63), "2.5"])
def test_a_bad_account_id_is_a_problem_naming_the_field(desk: Caller, amount: str) -> None:
    body = {"quote_id": "fxq_x", "sell_account_id": amount, "buy_account_id": "1"}
    assert _field(desk.post("/conversions", body)) == "sell_account_id"


def test_an_outsider_is_refused(
    caller: Callable[..., Caller], desk: Caller, open_account: OpenAccount, settings: ApiSettings
) -> None:
    eur, usd = open_account("EUR"), open_account("USD")
    quote = _quote(desk, "EUR", "USD", sell_amount="500")
    convert = {"quote_id": quote["id"], "sell_account_id": str(eur), "buy_account_id": str(usd)}
    anonymous, reader, custodian = caller(), caller("fx:read"), caller("custody:admin")
    for stranger, status in ((anonymous, 401), (reader, 403), (custodian, 403)):
        assert stranger.post("/quotes", GOOD).status_code == status
        assert stranger.post("/conversions", convert).status_code == status
    assert anonymous.get(f"/quotes/{quote['id']}").status_code == 401
    assert caller("fx:write").get(f"/quotes/{quote['id']}").status_code == 403
    # Another API key with every FX scope: the quote does not exist for it.
    other = caller("fx:read", "fx:write")
    assert other.get(f"/quotes/{quote['id']}").status_code == 404
    assert _field(other.post("/conversions", convert), 404) == "quote_id"
    assert _posted(settings, eur) == 0
    assert desk.post("/conversions", convert).status_code == 201
