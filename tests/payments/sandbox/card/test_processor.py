"""The sandbox card processor as a process: tokens and their problems, every test card, idempotency,
captures, voids and refunds within their bounds, the 3-D Secure page, settlement files, a kill -9."""

import datetime
import sqlite3
from typing import Any

import httpx
import pytest

from tests.helpers.card_processor import TEST_CARDS, CardProcessor


def authorize(
    http: httpx.Client,
    token: str,
    key: str,
    amount: str = "5000",
    capture: bool = False,
    reference: str = "pi_1",
) -> httpx.Response:
    body = {
        "account": "acct_a",
        "token": token,
        "amount": amount,
        "currency": "EUR",
        "capture": capture,
        "merchant_reference": reference,
    }
    return http.post("/v1/authorizations", json=body, headers={"Idempotency-Key": key})


def post(http: httpx.Client, path: str, key: str, **body: Any) -> httpx.Response:
    return http.post(path, json={"account": "acct_a"} | body, headers={"Idempotency-Key": key})


def test_the_credential_is_required(processor: CardProcessor) -> None:
    answer = httpx.post(f"{processor.url}/v1/tokens", json={}, headers={"Authorization": "Bearer sk_wrong"})
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_token_shows_brand_last4_and_expiry(processor: CardProcessor, http: httpx.Client) -> None:
    body = {
        "account": "acct_a",
        "card": {"number": "4242424242424242", "exp_month": 4, "exp_year": 2031, "cvc": "123"},
    }
    token = http.post("/v1/tokens", json=body).json()
    assert token["id"].startswith("pm_")
    assert (token["brand"], token["last4"], token["exp_month"], token["exp_year"]) == (
        "visa",
        "4242",
        4,
        2031,
    )
    assert "number" not in token
    assert "cvc" not in token


def test_token_problems_name_each_field_and_never_the_number(http: httpx.Client) -> None:
    number = "4242424242424241"
    body = {"account": "acct_a", "card": {"number": number, "exp_month": 13, "exp_year": 2031, "cvc": "1"}}
    answer = http.post("/v1/tokens", json=body)
    assert answer.status_code == 422
    assert {error["field"] for error in answer.json()["errors"]} == {
        "card.number",
        "card.exp_month",
        "card.cvc",
    }
    assert number not in answer.text
    missing = http.post("/v1/tokens", json={"account": "acct_a", "card": {"number": number}})
    assert missing.status_code == 422
    assert {"card.exp_month", "card.exp_year", "card.cvc"} <= {e["field"] for e in missing.json()["errors"]}
    assert number not in missing.text


def test_the_pan_is_only_in_the_vault_sealed(processor: CardProcessor, http: httpx.Client) -> None:
    number = TEST_CARDS["three_d_secure"]
    token = processor.token(http, number)
    answer = authorize(http, token, "k1", capture=True).json()
    http.post(answer["next_action"]["url"].removeprefix(processor.url), data={"result": "complete"})
    for path in processor.root.iterdir():
        if path.is_file() and path.name != "vault.key":
            assert number.encode() not in path.read_bytes(), path.name
    with sqlite3.connect(processor.database_path) as db:
        sealed = db.execute("SELECT sealed FROM vault WHERE token = ?", (token,)).fetchone()[0]
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 (names from the schema)
                assert not any(number in str(value) for value in row), table
    assert len(sealed) == 12 + len(number) + 16


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ("generic_decline", "generic_decline"),
        ("insufficient_funds", "insufficient_funds"),
        ("expired_card", "expired_card"),
        ("incorrect_cvc", "incorrect_cvc"),
    ],
)
def test_declining_cards_answer_their_code(
    processor: CardProcessor, http: httpx.Client, card: str, code: str
) -> None:
    answer = authorize(http, processor.token(http, TEST_CARDS[card]), "k1").json()
    assert (answer["status"], answer["decline_code"]) == ("declined", code)


def test_idempotency_same_body_same_answer_other_body_409(
    processor: CardProcessor, http: httpx.Client
) -> None:
    token = processor.token(http, TEST_CARDS["success"])
    first = authorize(http, token, "k1")
    again = authorize(http, token, "k1")
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert authorize(http, token, "k1", amount="5001").status_code == 409


def test_partial_capture_then_refunds_never_above_captured(
    processor: CardProcessor, http: httpx.Client
) -> None:
    token = processor.token(http, TEST_CARDS["success"])
    assert authorize(http, token, "a1").json()["status"] == "authorized"
    too_much = post(http, "/v1/captures", "c0", merchant_reference="pi_1", amount="5001")
    assert too_much.status_code == 422
    assert too_much.json()["errors"][0]["field"] == "amount"
    captured = post(http, "/v1/captures", "c1", merchant_reference="pi_1", amount="3000").json()
    assert (captured["status"], captured["amount_captured"]) == ("captured", "3000")
    first = post(http, "/v1/refunds", "r1", merchant_reference="pi_1", amount="2000", refund_reference="re_1")
    assert first.status_code == 200
    assert first.json()["status"] == "succeeded"
    over = post(http, "/v1/refunds", "r2", merchant_reference="pi_1", amount="1001", refund_reference="re_2")
    assert over.status_code == 422
    last = post(http, "/v1/refunds", "r3", merchant_reference="pi_1", amount="1000", refund_reference="re_3")
    assert last.status_code == 200
    assert post(http, "/v1/voids", "v1", merchant_reference="pi_1").status_code == 409
    day = datetime.datetime.now(datetime.UTC).date().isoformat()
    settlement = http.get(f"/v1/settlements/{day}")
    assert settlement.headers["content-type"].startswith("text/csv")
    rows = [line.split(",") for line in settlement.text.strip().splitlines()[1:]]
    assert [(row[1], row[2], row[5], row[6]) for row in rows] == [
        ("capture", "pi_1", "3000", "EUR"),
        ("refund", "re_1", "2000", "EUR"),
        ("refund", "re_3", "1000", "EUR"),
    ]
    assert http.get("/v1/settlements/2001-01-01").text.strip().count("\n") == 0


def test_a_void_releases_the_authorization(processor: CardProcessor, http: httpx.Client) -> None:
    authorize(http, processor.token(http, TEST_CARDS["success"]), "a1")
    assert post(http, "/v1/voids", "v1", merchant_reference="pi_1").json()["status"] == "voided"
    assert post(http, "/v1/captures", "c1", merchant_reference="pi_1", amount="1").status_code == 404


def test_another_account_cannot_use_a_token(processor: CardProcessor, http: httpx.Client) -> None:
    token = processor.token(http, TEST_CARDS["success"], account="acct_b")
    answer = authorize(http, token, "k1")
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["field"] == "token"


@pytest.mark.parametrize(
    ("card", "choice", "status", "code"),
    [
        ("three_d_secure", "complete", "authorized", None),
        ("three_d_secure", "fail", "declined", "authentication_failed"),
        ("three_d_secure_then_insufficient_funds", "complete", "declined", "insufficient_funds"),
    ],
)
def test_three_d_secure_page_completes_once(
    processor: CardProcessor, http: httpx.Client, card: str, choice: str, status: str, code: str | None
) -> None:
    answer = authorize(http, processor.token(http, TEST_CARDS[card]), "k1").json()
    assert answer["status"] == "requires_action"
    url = answer["next_action"]["url"]
    assert url.startswith(f"{processor.url}/3ds/3ds_")
    page = httpx.get(url)
    assert page.status_code == 200
    assert "Complete" in page.text
    assert "Fail" in page.text
    done = httpx.post(url, data={"result": choice})
    assert done.status_code == 200
    assert status in done.text
    assert httpx.post(url, data={"result": "complete"}).status_code == 409
    assert "closed" in httpx.get(url).text
    capture = post(http, "/v1/captures", "c1", merchant_reference="pi_1", amount="5000")
    assert capture.status_code == (200 if status == "authorized" else 404)


def test_state_survives_kill_9(processor: CardProcessor, http: httpx.Client) -> None:
    token = processor.token(http, TEST_CARDS["success"])
    first = authorize(http, token, "k1").json()
    challenge = authorize(
        http, processor.token(http, TEST_CARDS["three_d_secure"]), "k2", reference="pi_2"
    ).json()
    processor.kill()
    processor.start()
    assert authorize(http, token, "k1").json() == first
    assert (
        post(http, "/v1/captures", "c1", merchant_reference="pi_1", amount="5000").json()["status"]
        == "captured"
    )
    assert httpx.post(challenge["next_action"]["url"], data={"result": "complete"}).status_code == 200
