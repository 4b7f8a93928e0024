"""`GET /v1/ledger/accounts/{id}/entries`: every transfer of the account once, in journal order, page by
page, whatever is written meanwhile."""

from tests.api.ledger.conftest import LedgerApi, OpenAccount


def walk(api: LedgerApi, account_id: str, limit: int) -> list[dict[str, str]]:
    entries: list[dict[str, str]] = []
    cursor = None
    while True:
        params = {"limit": limit} if cursor is None else {"limit": limit, "cursor": cursor}
        page = api.get(f"/accounts/{account_id}/entries", **params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["account_id"] == account_id
        entries += body["data"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return entries


def test_paging_walks_every_entry_exactly_once_in_order(api: LedgerApi, open_account: OpenAccount) -> None:
    account, other, third = open_account(), open_account(), open_account()
    made = []
    for amount in range(1, 12):  # both sides of the account, and transfers that do not touch it
        debit, credit = (account, other) if amount % 2 else (other, account)
        body = {
            "debit_account_id": debit,
            "credit_account_id": credit,
            "amount": str(amount),
            "currency": "EUR",
        }
        made.append(api.post("/transfers", body).json()["id"])
        body = {"debit_account_id": other, "credit_account_id": third, "amount": "1", "currency": "EUR"}
        api.post("/transfers", body)
    for limit in (1, 3, 11, 100):
        entries = walk(api, account, limit)
        assert [entry["id"] for entry in entries] == made
        assert [entry["side"] for entry in entries] == ["debit" if n % 2 else "credit" for n in range(1, 12)]
        keys = [(int(entry["timestamp"]), int(entry["id"])) for entry in entries]
        assert keys == sorted(keys)


def test_entries_written_while_paging_come_after(api: LedgerApi, open_account: OpenAccount) -> None:
    account, other = open_account(), open_account()
    body = {"debit_account_id": other, "credit_account_id": account, "amount": "1", "currency": "EUR"}
    first = api.post("/transfers", body).json()["id"]
    page = api.get(f"/accounts/{account}/entries", limit=1).json()
    assert ([entry["id"] for entry in page["data"]], page["has_more"]) == ([first], False)
    later = api.post("/transfers", body).json()["id"]
    following = api.get(f"/accounts/{account}/entries", limit=1, cursor=page["next_cursor"]).json()
    assert [entry["id"] for entry in following["data"]] == [later]


def test_an_empty_account_lists_nothing_and_an_unknown_one_is_404(
    api: LedgerApi, open_account: OpenAccount
) -> None:
    empty = api.get(f"/accounts/{open_account()}/entries").json()
    assert (empty["data"], empty["has_more"], empty["next_cursor"]) == ([], False, None)
    missing = api.get("/accounts/99/entries")
    assert (missing.status_code, missing.json()["code"]) == (404, "account_not_found")


def test_a_cursor_of_another_account_is_refused(api: LedgerApi, open_account: OpenAccount) -> None:
    account, other = open_account(), open_account()
    body = {"debit_account_id": other, "credit_account_id": account, "amount": "1", "currency": "EUR"}
    api.post("/transfers", body)
    cursor = api.get(f"/accounts/{account}/entries", limit=1).json()["next_cursor"]
    response = api.get(f"/accounts/{other}/entries", cursor=cursor)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "cursor"
