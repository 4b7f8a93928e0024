"""`/v1/ledger/accounts`: opening an account and reading it back with its totals and balances."""

from typing import Any

import pytest

from tests.api.ledger.conftest import LedgerApi, OpenAccount

ACCOUNT = {"currency": "EUR", "owner_kind": "merchant", "owner_id": "m-42"}


def test_an_account_opens_with_zero_totals_and_reads_back_as_created(api: LedgerApi) -> None:
    response = api.post("/accounts", {**ACCOUNT, "code": 7, "debits_must_not_exceed_credits": True})
    assert response.status_code == 201, response.text
    created = response.json()
    assert isinstance(created["id"], str)
    assert int(created["id"]) > 2**53
    assert created["currency"] == "EUR"
    assert (created["owner_kind"], created["owner_id"], created["code"]) == ("merchant", "m-42", 7)
    assert created["debits_must_not_exceed_credits"] is True
    assert created["credits_must_not_exceed_debits"] is False
    totals = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")
    assert [created[name] for name in totals] == ["0", "0", "0", "0"]
    assert created["balances"] == {"posted": "0", "pending": "0", "available": "0"}
    read = api.get(f"/accounts/{created['id']}")
    assert read.status_code == 200
    assert read.json() == created


def test_balances_follow_posted_and_pending_transfers(api: LedgerApi, open_account: OpenAccount) -> None:
    source, target = open_account(), open_account()
    moved = {"debit_account_id": source, "credit_account_id": target, "currency": "EUR"}
    assert api.post("/transfers", {**moved, "amount": "1000"}).status_code == 201
    assert api.post("/transfers", {**moved, "amount": "300", "pending": True}).status_code == 201
    source_view, target_view = (api.get(f"/accounts/{account}").json() for account in (source, target))
    assert source_view["debits_posted"] == "1000"
    assert source_view["debits_pending"] == "300"
    assert source_view["balances"] == {"posted": "-1000", "pending": "-300", "available": "-1300"}
    assert target_view["balances"] == {"posted": "1000", "pending": "300", "available": "1000"}


def test_an_unknown_account_is_a_404_with_its_code(api: LedgerApi) -> None:
    response = api.get("/accounts/12345")
    assert response.status_code == 404
    problem = response.json()
    assert problem["type"] == "urn:tpwallet:problem:ledger-account-not-found"
    assert problem["code"] == "account_not_found"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "XYZ"}, "currency"),  # the shape of a code, but no currency
        ({"currency": "eur"}, "currency"),
        ({"owner_kind": "pirate"}, "owner_kind"),
        ({"owner_id": ""}, "owner_id"),
        ({"owner_id": "x" * 65}, "owner_id"),
        ({"code": 0}, "code"),
        ({"code": 65536}, "code"),
        ({"overdraft": True}, "overdraft"),  # no field the API does not know
    ],
)
def test_a_malformed_account_is_a_422_naming_the_field(
    api: LedgerApi, change: dict[str, Any], field: str
) -> None:
    response = api.post("/accounts", {**ACCOUNT, **change})
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_both_limits_at_once_are_refused_with_the_ledgers_code(api: LedgerApi) -> None:
    both = {"debits_must_not_exceed_credits": True, "credits_must_not_exceed_debits": True}
    response = api.post("/accounts", {**ACCOUNT, **both})
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "flags_are_mutually_exclusive"
    assert problem["errors"][0]["field"] == "credits_must_not_exceed_debits"


@pytest.mark.parametrize("account_id", ["abc", "-1", "0", "01", str(2**63)])
def test_a_malformed_account_id_in_the_path_is_a_422(api: LedgerApi, account_id: str) -> None:
    response = api.get(f"/accounts/{account_id}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "account_id"
