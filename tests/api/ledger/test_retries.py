"""Retries never move money twice: the Idempotency-Key replays the first answer (same key, other body: 409),
and a transfer's reference answers the transfer it already names."""

import uuid

from tests.api.ledger.conftest import LedgerApi, OpenAccount


def test_the_same_key_and_body_replay_the_first_answer(api: LedgerApi, open_account: OpenAccount) -> None:
    source, target = open_account(), open_account()
    body = {"debit_account_id": source, "credit_account_id": target, "amount": "70", "currency": "EUR"}
    key = str(uuid.uuid4())
    first = api.post("/transfers", body, key=key)
    again = api.post("/transfers", body, key=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert api.get(f"/accounts/{target}").json()["credits_posted"] == "70"
    changed = api.post("/transfers", {**body, "amount": "71"}, key=key)
    assert (changed.status_code, changed.json()["type"]) == (
        409,
        "urn:tpwallet:problem:idempotency-key-reused",
    )
    assert len(api.get(f"/accounts/{target}/entries").json()["data"]) == 1


def test_every_post_is_idempotent(api: LedgerApi, open_account: OpenAccount) -> None:
    account_body = {"currency": "JPY", "owner_kind": "treasury", "owner_id": "t"}
    first = api.post("/accounts", account_body, key="open-1")
    assert api.post("/accounts", account_body, key="open-1").json()["id"] == first.json()["id"]
    source, target = open_account("JPY"), first.json()["id"]
    body = {"debit_account_id": source, "credit_account_id": target, "amount": "5", "currency": "JPY"}
    pending = api.post("/transfers", {**body, "pending": True}).json()["id"]
    posts = [api.post(f"/transfers/{pending}/post", None, key=f"post-{pending}") for _ in range(2)]
    assert [post.status_code for post in posts] == [201, 201]
    assert posts[1].json() == posts[0].json()
    assert posts[1].headers["Idempotent-Replayed"] == "true"
    voids = [api.post(f"/transfers/{pending}/void", None, key=f"void-{pending}") for _ in range(2)]
    assert [void.json()["code"] for void in voids] == ["pending_transfer_already_posted"] * 2
    assert api.get(f"/accounts/{target}").json()["credits_posted"] == "5"


def test_a_refusal_is_not_stored_so_the_retry_runs_afresh(api: LedgerApi, open_account: OpenAccount) -> None:
    source, target = open_account(limited=True), open_account()
    funding = open_account()
    body = {"debit_account_id": source, "credit_account_id": target, "amount": "10", "currency": "EUR"}
    refused = api.post("/transfers", body, key="pay-1")
    assert (refused.status_code, refused.json()["code"]) == (422, "exceeds_credits")
    fund = {"debit_account_id": funding, "credit_account_id": source, "amount": "10", "currency": "EUR"}
    assert api.post("/transfers", fund).status_code == 201
    assert api.post("/transfers", body, key="pay-1").status_code == 201


def test_a_reference_names_one_transfer_whatever_the_key(api: LedgerApi, open_account: OpenAccount) -> None:
    source, target = open_account(), open_account()
    body = {
        "debit_account_id": source,
        "credit_account_id": target,
        "amount": "70",
        "currency": "EUR",
        "reference": "invoice-9",
    }
    first = api.post("/transfers", body)
    again = api.post("/transfers", body)  # another Idempotency-Key: the ledger's reference still holds
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    other = api.post("/transfers", {**body, "amount": "71"})
    assert (other.status_code, other.json()["code"]) == (409, "exists_with_different_amount")
    assert api.get(f"/accounts/{target}").json()["credits_posted"] == "70"


def test_a_linked_chain_sent_again_with_its_references_answers_the_first_chain(
    api: LedgerApi, open_account: OpenAccount
) -> None:
    source, target, fees = open_account(), open_account(), open_account()
    body = {
        "debit_account_id": source,
        "credit_account_id": target,
        "amount": "90",
        "currency": "EUR",
        "reference": "split-1",
        "linked": [
            {"debit_account_id": source, "credit_account_id": fees, "amount": "10", "currency": "EUR"}
        ],
    }
    first = api.post("/transfers", body, key="split-first").json()
    again = api.post("/transfers", body, key="split-again")  # the linked one's reference is the first key's
    assert again.status_code == 409
    assert again.json()["code"] == "exists"
    body["reference"] = "split-2"  # every transfer of the chain named by the client: retries find them all
    body["linked"][0]["reference"] = "split-2-fee"  # type: ignore[index]
    named = api.post("/transfers", body, key="split-named").json()
    retried = api.post("/transfers", body, key="split-named-retry")
    assert retried.status_code == 201, retried.text
    assert [retried.json()["id"], retried.json()["linked_transfers"][0]["id"]] == [
        named["id"],
        named["linked_transfers"][0]["id"],
    ]
    assert named["id"] != first["id"]
    assert api.get(f"/accounts/{fees}").json()["credits_posted"] == "20"
