"""`/v1/ledger/transfers`: single-phase and two-phase transfers, linked transfers all or none, and each
refusal as its problem document (status, the ledger's `code`, the field)."""

import time
from typing import Any

import pytest

from tests.api.ledger.conftest import LedgerApi, OpenAccount


@pytest.fixture
def funded(api: LedgerApi, open_account: OpenAccount) -> tuple[str, str, str]:
    """A funding account, a customer (who may not go below zero) holding 1,000, and a merchant."""
    bank, customer, merchant = open_account(), open_account(limited=True), open_account(limited=True)
    fund = {"debit_account_id": bank, "credit_account_id": customer, "amount": "1000", "currency": "EUR"}
    assert api.post("/transfers", fund).status_code == 201
    return bank, customer, merchant


def pay(customer: str, merchant: str, amount: str = "100", **more: Any) -> dict[str, Any]:
    body = {"debit_account_id": customer, "credit_account_id": merchant, "amount": amount, "currency": "EUR"}
    return {**body, **more}


def balances(api: LedgerApi, account_id: str) -> dict[str, str]:
    result: dict[str, str] = api.get(f"/accounts/{account_id}").json()["balances"]
    return result


def test_a_transfer_moves_money_and_reads_back(api: LedgerApi, funded: tuple[str, str, str]) -> None:
    _, customer, merchant = funded
    response = api.post("/transfers", pay(customer, merchant, "250", reference="order-1", code=9))
    assert response.status_code == 201, response.text
    made = response.json()
    assert (made["kind"], made["amount"], made["reference"], made["code"]) == (
        "single_phase",
        "250",
        "order-1",
        9,
    )
    assert (made["status"], made["linked_transfers"]) == (None, [])
    assert balances(api, customer)["posted"] == "750"
    assert balances(api, merchant)["posted"] == "250"
    read = api.get(f"/transfers/{made['id']}")
    assert read.status_code == 200
    assert read.json() == {key: value for key, value in made.items() if key != "linked_transfers"}


def test_insufficient_funds_is_a_422_naming_the_amount(api: LedgerApi, funded: tuple[str, str, str]) -> None:
    _, customer, merchant = funded
    response = api.post("/transfers", pay(customer, merchant, "1001"))
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "urn:tpwallet:problem:insufficient-funds"
    assert problem["code"] == "exceeds_credits"
    assert problem["errors"][0]["field"] == "amount"
    assert balances(api, customer)["posted"] == "1000"


@pytest.mark.parametrize(
    "amount",
    ["-1", "0", "1.5", "1e3", " 1", "01", "", str(2**63), 100, 1.5, None, True],
    ids=repr,
)
def test_a_malformed_amount_is_a_422_naming_it(
    api: LedgerApi, funded: tuple[str, str, str], amount: object
) -> None:
    _, customer, merchant = funded
    response = api.post("/transfers", pay(customer, merchant, amount=amount))  # type: ignore[arg-type]
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["amount"]


def test_the_largest_amount_is_taken_and_refused_only_by_the_limit(
    api: LedgerApi, funded: tuple[str, str, str]
) -> None:
    _, customer, merchant = funded
    response = api.post("/transfers", pay(customer, merchant, str(2**63 - 1)))
    assert (response.status_code, response.json()["code"]) == (422, "exceeds_credits")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "ABC"}, "currency"),
        ({"currency": "eur"}, "currency"),
        ({"timeout_seconds": -1}, "timeout_seconds"),
        ({"reference": ""}, "reference"),
        ({"reference": "r" * 129}, "reference"),
        ({"debit_account_id": 5}, "debit_account_id"),  # an id is a string: a JSON number would round
        ({"linked": [{"amount": "1"}]}, "linked.0.debit_account_id"),
    ],
)
def test_a_malformed_transfer_is_a_422_naming_the_field(
    api: LedgerApi, funded: tuple[str, str, str], change: dict[str, Any], field: str
) -> None:
    _, customer, merchant = funded
    response = api.post("/transfers", {**pay(customer, merchant), **change})
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"currency": "USD"}, 422, "transfer_must_have_the_same_ledger_as_accounts", "currency"),
        ({"timeout_seconds": 5}, 422, "timeout_reserved_for_pending_transfer", "timeout_seconds"),
        ({"credit_account_id": "customer"}, 422, "accounts_must_be_different", "credit_account_id"),
        ({"credit_account_id": "777"}, 404, "credit_account_not_found", "credit_account_id"),
    ],
)
def test_what_the_ledger_refuses_carries_its_code(
    api: LedgerApi, funded: tuple[str, str, str], change: dict[str, Any], status: int, code: str, field: str
) -> None:
    _, customer, merchant = funded
    change = {name: customer if value == "customer" else value for name, value in change.items()}
    response = api.post("/transfers", {**pay(customer, merchant), **change})
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["code"] == code
    assert field in problem.get("field", "") or field in [error["field"] for error in problem["errors"]]


def test_accounts_of_two_currencies_never_meet(api: LedgerApi, open_account: OpenAccount) -> None:
    euros, dollars = open_account("EUR"), open_account("USD")
    response = api.post("/transfers", pay(euros, dollars))
    assert (response.status_code, response.json()["code"]) == (422, "accounts_must_have_the_same_ledger")


# -- two-phase ------------------------------------------------------------------------------------------


@pytest.fixture
def hold(api: LedgerApi, funded: tuple[str, str, str]) -> str:
    """The id of a pending transfer of 400 from the customer (holding 1,000) to the merchant."""
    _, customer, merchant = funded
    pending = api.post("/transfers", pay(customer, merchant, "400", pending=True)).json()
    assert (pending["kind"], pending["status"]) == ("pending", "pending")
    hold_id: str = pending["id"]
    return hold_id


def test_a_pending_transfer_reserves_then_posts_in_part(
    api: LedgerApi, funded: tuple[str, str, str], hold: str
) -> None:
    _, customer, merchant = funded
    assert balances(api, customer) == {"posted": "1000", "pending": "-400", "available": "600"}
    posted = api.post(f"/transfers/{hold}/post", {"amount": "150"})
    assert posted.status_code == 201, posted.text
    post = posted.json()
    assert (post["kind"], post["amount"], post["pending_id"]) == ("post_pending", "150", hold)
    assert post["reference"] == f"post:{hold}"
    assert balances(api, customer) == {"posted": "850", "pending": "0", "available": "850"}
    assert balances(api, merchant)["posted"] == "150"
    read = api.get(f"/transfers/{hold}").json()
    assert (read["status"], read["resolved_by"]) == ("posted", post["id"])
    again = api.post(f"/transfers/{hold}/post", {"amount": "150"})  # a new key: the same post
    assert (again.status_code, again.json()["id"]) == (201, post["id"])
    other = api.post(f"/transfers/{hold}/post", {"amount": "10"})
    assert (other.status_code, other.json()["code"]) == (409, "exists_with_different_amount")
    void = api.post(f"/transfers/{hold}/void")
    assert (void.status_code, void.json()["code"]) == (409, "pending_transfer_already_posted")
    assert balances(api, merchant)["posted"] == "150"


def test_a_pending_transfer_posts_whole_without_a_body(
    api: LedgerApi, funded: tuple[str, str, str], hold: str
) -> None:
    _, _, merchant = funded
    post = api.post(f"/transfers/{hold}/post")
    assert (post.status_code, post.json()["amount"]) == (201, "400")
    assert balances(api, merchant)["posted"] == "400"


def test_a_void_releases_the_reservation(api: LedgerApi, funded: tuple[str, str, str], hold: str) -> None:
    _, customer, _ = funded
    void = api.post(f"/transfers/{hold}/void", {"reference": "cancel-7"})
    assert void.status_code == 201, void.text
    assert (void.json()["kind"], void.json()["reference"]) == ("void_pending", "cancel-7")
    assert balances(api, customer) == {"posted": "1000", "pending": "0", "available": "1000"}
    assert api.get(f"/transfers/{hold}").json()["status"] == "voided"
    post = api.post(f"/transfers/{hold}/post")
    assert (post.status_code, post.json()["code"]) == (409, "pending_transfer_already_voided")


def test_posting_more_than_reserved_is_a_422_naming_the_amount(api: LedgerApi, hold: str) -> None:
    response = api.post(f"/transfers/{hold}/post", {"amount": "401"})
    assert response.status_code == 422
    assert response.json()["code"] == "exceeds_pending_transfer_amount"
    assert response.json()["errors"][0]["field"] == "amount"


def test_a_pending_transfer_that_timed_out_cannot_be_posted(
    api: LedgerApi, funded: tuple[str, str, str]
) -> None:
    _, customer, merchant = funded
    pending = api.post("/transfers", pay(customer, merchant, "400", pending=True, timeout_seconds=1)).json()
    assert pending["expires_at"] is not None
    time.sleep(1.1)
    response = api.post(f"/transfers/{pending['id']}/post")
    assert (response.status_code, response.json()["code"]) == (409, "pending_transfer_expired")


def test_the_api_releases_a_timed_out_pending_transfer_by_itself(
    api: LedgerApi, funded: tuple[str, str, str]
) -> None:
    """Nobody posts or voids it: the API's expiry loop (every second by default) writes the expiry, so the
    reserved amount returns to the customer's available balance and the transfer reads `expired`."""
    _, customer, merchant = funded
    pending = api.post("/transfers", pay(customer, merchant, "400", pending=True, timeout_seconds=1)).json()
    assert balances(api, customer)["available"] == "600"
    deadline = time.monotonic() + 15
    while api.get(f"/transfers/{pending['id']}").json()["status"] != "expired":
        assert time.monotonic() < deadline, "the pending transfer was never expired"
        time.sleep(0.2)
    assert balances(api, customer) == {"posted": "1000", "pending": "0", "available": "1000"}


def test_resolving_what_is_not_pending_or_not_there(api: LedgerApi, funded: tuple[str, str, str]) -> None:
    _, customer, merchant = funded
    single = api.post("/transfers", pay(customer, merchant)).json()
    response = api.post(f"/transfers/{single['id']}/void")
    assert (response.status_code, response.json()["code"]) == (409, "pending_transfer_not_pending")
    missing = api.post("/transfers/4242/post")
    assert (missing.status_code, missing.json()["code"]) == (404, "pending_transfer_not_found")
    assert api.get("/transfers/4242").json()["code"] == "transfer_not_found"


# -- linked ---------------------------------------------------------------------------------------------


def test_linked_transfers_commit_together(
    api: LedgerApi, funded: tuple[str, str, str], open_account: OpenAccount
) -> None:
    _, customer, merchant = funded
    fees = open_account()
    body = pay(customer, merchant, "90", linked=[pay(customer, fees, "10", pending=True)])
    response = api.post("/transfers", body)
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["linked"] is True
    (fee,) = made["linked_transfers"]
    assert (fee["linked"], fee["kind"], fee["credit_account_id"]) == (False, "pending", fees)
    assert fee["reference"] == made["reference"] + ":1"
    assert balances(api, customer) == {"posted": "910", "pending": "-10", "available": "900"}


def test_linked_transfers_fail_all_or_none(
    api: LedgerApi, funded: tuple[str, str, str], open_account: OpenAccount
) -> None:
    _, customer, merchant = funded
    fees = open_account()
    body = pay(customer, merchant, "900", linked=[pay(customer, fees, "50"), pay(customer, fees, "60")])
    response = api.post("/transfers", body)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "exceeds_credits"
    assert problem["errors"][0]["field"] == "linked.1.amount"  # the third transfer: 900 + 50 + 60 > 1,000
    assert balances(api, customer) == {"posted": "1000", "pending": "0", "available": "1000"}
    assert api.get(f"/accounts/{fees}/entries").json()["data"] == []
