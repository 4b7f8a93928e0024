"""The custody routes against a real 3-node group (node processes over mutual TLS, started once for the
module) on SQLite and PostgreSQL: keys by DKG, TreasuryTx signatures that verify, approvals and time locks
decided by the nodes' own policy, refusals, retries, idempotency, validation and the audit log.

The group, its policy and the fixtures are `tests.helpers.custody_api`'s.
"""

import asyncio
import json
import secrets
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_api_key
from api.custody.store import MAX_APPROVALS
from api.models import CustodySignRequest
from api.settings import ApiSettings
from chain.intents import CustodyTransfer, decode_intent
from custody.audit import AuditLog
from custody.coordinator.ceremony import KeyInfo
from custody.coordinator.client import NodeClient
from custody.coordinator.keys import KeyCoordinator
from custody.coordinator.state_book import load_statements
from custody.frost import Point, is_onchain_verifiable
from custody.node.records.shares import find_key
from custody.policy.approvals import OperatorApproval
from custody.protocol.signing import IntentEnvelope
from tests.helpers.custody_api import (
    ALICE,
    BOB,
    CAROL,
    CUSTODY_DAILY_LIMIT,
    LOCKED_TOKEN,
    MALLORY,
    PAYEE,
    PER_TX_LIMIT,
    SQLITE_ONLY,
    STRANGER,
    TIME_LOCK_SECONDS,
    TREASURY,
    Api,
    account,
    approval_of,
    approve,
    assert_verifies,
    audit_actions,
    custody_transfer,
    frozen,
    treasury_tx,
)
from tests.helpers.custody_nodes import TEST_CHAIN_ID, CustodyGroup
from tests.helpers.db import count_rows, session_on

# -- keys -------------------------------------------------------------------------------------------------


def test_a_key_made_by_dkg_across_the_nodes_can_be_read(
    api: Api, group: CustodyGroup, settings: ApiSettings
) -> None:
    key_id = f"treasury-{secrets.token_hex(4)}"
    created = api.post("/keys", {"threshold": 2, "participants": [1, 2, 3], "key_id": key_id})
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["key_id"], body["threshold"], body["participants"], body["lagging_nodes"]) == (
        key_id,
        2,
        [1, 2, 3],
        [],
    )
    group_key = Point.from_bytes(bytes.fromhex(body["group_public_key"]["compressed"][2:]))
    assert is_onchain_verifiable(group_key)
    assert [int(body["group_public_key"][axis], 16) for axis in ("x", "y")] == list(group_key.coordinates())

    read = api.get(f"/keys/{key_id}")
    assert read.status_code == 200
    assert read.json() == {name: value for name, value in body.items() if name != "lagging_nodes"}

    for node_id in (1, 2, 3):  # every node holds a share of this very key; the API holds none
        with group.open_keystore(node_id) as store:
            share = find_key(store, key_id)
        assert share is not None
        assert share.public_key_package.group_public_key == group_key
    assert ("custody-key.created", f"key:{key_id}") in audit_actions(settings)

    taken = api.post("/keys", {"threshold": 2, "key_id": key_id})
    assert taken.status_code == 409
    assert taken.json()["type"] == "urn:tpwallet:problem:custody-conflict"


def test_a_key_made_outside_the_api_is_registered_from_its_holders_statements(
    api: Api, group: CustodyGroup, settings: ApiSettings, tmp_path: Path
) -> None:
    key_id = f"provisioned-{secrets.token_hex(4)}"

    async def dkg_without_the_api() -> KeyInfo:
        async with NodeClient(group.client_context(), timeout=10) as client:
            ceremonies = KeyCoordinator(
                group.roster, client, audit=AuditLog.open_file(tmp_path / "cli-audit.jsonl")
            )
            return await ceremonies.create_key(2, key_id=key_id)

    info = asyncio.run(dkg_without_the_api())
    audit_before = audit_actions(settings)
    unknown = api.get(f"/keys/{key_id}")  # a read never writes: the key stays unknown until imported
    assert unknown.status_code == 404
    assert f"/v1/custody/keys/{key_id}/import" in unknown.json()["detail"]
    assert audit_actions(settings) == audit_before

    imported = api.post(f"/keys/{key_id}/import")
    assert imported.status_code == 200, imported.text
    key = imported.json()
    assert key["group_public_key"]["compressed"] == "0x" + info.group_public_key.to_bytes().hex()
    assert (key["threshold"], key["participants"]) == (2, [1, 2, 3])
    assert ("custody-key.registered", f"key:{key_id}") in audit_actions(settings)
    assert api.get(f"/keys/{key_id}").json() == key  # from the database now
    again = api.post(f"/keys/{key_id}/import")  # idempotent, even under a new Idempotency-Key
    assert (again.status_code, again.json()) == (200, key)
    assert audit_actions(settings).count(("custody-key.registered", f"key:{key_id}")) == 1
    assert_verifies(key, api.post("/sign-requests", {"key_id": key_id, "intent": treasury_tx(9)}).json())


@SQLITE_ONLY
def test_the_default_threshold_and_participants_come_from_the_settings_and_roster(api: Api) -> None:
    body = api.post("/keys").json()
    assert (body["threshold"], body["participants"]) == (2, [1, 2, 3])
    assert body["key_id"].startswith("key-")


@SQLITE_ONLY
def test_a_refresh_keeps_the_group_key_and_signing_goes_on(api: Api, key: dict[str, Any]) -> None:
    refreshed = api.post(f"/keys/{key['key_id']}/refresh")
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["group_public_key"] == key["group_public_key"]
    assert refreshed.json()["updated_at"] > key["updated_at"]
    signed = api.post("/sign-requests", {"key_id": key["key_id"], "intent": treasury_tx(10)}).json()
    assert_verifies(key, signed)


# -- signing ----------------------------------------------------------------------------------------------


def signed_at_once(api: Api, key: dict[str, Any], intent: dict[str, Any]) -> dict[str, Any]:
    """Submit a sign request for `intent` that the nodes sign at once; the answer, its signature checked."""
    created = api.post("/sign-requests", {"key_id": key["key_id"], "intent": intent})
    assert created.status_code == 201, created.text
    request: dict[str, Any] = created.json()
    assert_verifies(key, request)
    return request


def test_a_treasury_tx_within_policy_is_signed_at_once(
    api: Api, key: dict[str, Any], settings: ApiSettings
) -> None:
    intent = treasury_tx(500)
    request = signed_at_once(api, key, intent)
    assert request["intent"] == intent
    assert request["attempts"] == 1
    assert len(bytes.fromhex(request["id"][2:])) == 32
    assert api.get(f"/sign-requests/{request['id']}").json() == request

    actions = [action for action, subject in audit_actions(settings) if request["id"] in subject]
    assert actions == ["sign-request.created", "sign-request.signed"]


@SQLITE_ONLY
def test_the_nodes_state_statements_outlive_the_api_process(
    api: Api, key: dict[str, Any], settings: ApiSettings, group: CustodyGroup
) -> None:
    """The coordinator writes each signer's latest signed state counter after a signature, and the next API
    process starts from it (`custody.coordinator.state_book`), so a node restored from a backup is caught
    even when the API restarted in between."""
    assert api.post("/sign-requests", {"key_id": key["key_id"], "intent": treasury_tx(7)}).json()["signature"]
    path = settings.custody_audit_path.with_name("node-states.json")
    saved = load_statements(path, group.roster)
    assert len(saved) >= 2  # the two signers at least
    with TestClient(create_app(settings)) as restarted:
        runtime = restarted.app.state.custody  # type: ignore[attr-defined]
        assert runtime.signing.state_statements == saved


def test_approvals_by_operators_unlock_a_large_transfer(
    api: Api, key: dict[str, Any], settings: ApiSettings
) -> None:
    request = api.post("/sign-requests", {"key_id": key["key_id"], "intent": treasury_tx(5_000)}).json()
    assert request["status"] == "pending"
    assert any("0 of 2 required operator approvals" in reason for reason in request["reasons"])
    assert request["signature"] is None

    after_alice = approve(api, request, ALICE)
    assert after_alice.status_code == 201, after_alice.text
    assert after_alice.json()["status"] == "pending"
    assert any("1 of 2 required operator approvals (alice)" in r for r in after_alice.json()["reasons"])

    after_mallory = approve(api, request, MALLORY)  # a valid signature, but no operator's: not taken
    assert after_mallory.status_code == 422
    assert after_mallory.json()["errors"][0]["field"] == "operator"

    signed = approve(api, request, BOB).json()
    assert_verifies(key, signed)
    assert [approval["operator"] for approval in signed["approvals"]] == [ALICE.address, BOB.address]
    assert signed["attempts"] == 3
    actions = [action for action, subject in audit_actions(settings) if subject == request["id"]]
    assert actions == [
        "sign-request.created",
        "sign-request.pending",
        "sign-request.approval-added",
        "sign-request.pending",
        "sign-request.approval-rejected",
        "sign-request.approval-added",
        "sign-request.signed",
    ]


@SQLITE_ONLY
def test_a_time_locked_request_waits_then_signs_on_retry(api: Api, key: dict[str, Any]) -> None:
    request = api.post(
        "/sign-requests", {"key_id": key["key_id"], "intent": treasury_tx(500, LOCKED_TOKEN)}
    ).json()
    assert request["status"] == "pending"
    assert any("delay has not passed" in reason for reason in request["reasons"])
    too_soon = api.post(f"/sign-requests/{request['id']}/attempts")
    assert too_soon.status_code == 200
    assert too_soon.json()["status"] == "pending"
    time.sleep(TIME_LOCK_SECONDS + 0.5)  # the nodes count from the first attempt, seconds resolution
    retried = api.post(f"/sign-requests/{request['id']}/attempts")
    assert_verifies(key, retried.json())
    assert retried.json()["attempts"] == 3
    again = api.post(f"/sign-requests/{request['id']}/attempts")
    assert again.status_code == 409


@SQLITE_ONLY
def test_a_request_beyond_the_limits_is_refused_and_approvals_do_not_help(
    api: Api, key: dict[str, Any]
) -> None:
    request = api.post(
        "/sign-requests", {"key_id": key["key_id"], "intent": treasury_tx(PER_TX_LIMIT + 1)}
    ).json()
    assert request["status"] == "refused"
    assert any("per-transaction limit" in reason for reason in request["reasons"])
    assert sorted(request["nodes"]) == ["1", "2", "3"]
    assert {node["kind"] for node in request["nodes"].values()} == {"refused"}
    approve(api, request, ALICE)
    assert approve(api, request, BOB).json()["status"] == "refused"


def test_a_custody_transfer_within_policy_is_signed_for_the_treasury(
    api: Api, key: dict[str, Any], settings: ApiSettings
) -> None:
    intent = custody_transfer(500)
    request = signed_at_once(api, key, intent)
    transfer = CustodyTransfer.from_json(intent["message"])
    assert request["digest"] == "0x" + transfer.digest(TEST_CHAIN_ID, TREASURY).hex()  # the treasury's own
    actions = [action for action, subject in audit_actions(settings) if request["id"] in subject]
    assert actions == ["sign-request.created", "sign-request.signed"]


@SQLITE_ONLY
def test_a_large_custody_transfer_waits_for_two_operators(api: Api, key: dict[str, Any]) -> None:
    request = api.post("/sign-requests", {"key_id": key["key_id"], "intent": custody_transfer(5_000)}).json()
    assert request["status"] == "pending"
    assert any("0 of 2 required operator approvals" in reason for reason in request["reasons"])
    assert approve(api, request, ALICE).json()["status"] == "pending"
    assert_verifies(key, approve(api, request, CAROL).json())


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("amount", "changes", "reason"),
    [
        (PER_TX_LIMIT + 1, {}, "exceeds the per-transaction limit"),
        (500, {"to": STRANGER}, f"destination {STRANGER} is not on the allowlist"),
        (500, {"token": LOCKED_TOKEN}, f"token {LOCKED_TOKEN} has no limits in the policy"),
    ],
)
def test_a_custody_transfer_outside_policy_is_refused_by_the_nodes(
    api: Api, key: dict[str, Any], amount: int, changes: dict[str, str], reason: str
) -> None:
    request = api.post(
        "/sign-requests", {"key_id": key["key_id"], "intent": custody_transfer(amount, **changes)}
    ).json()
    assert request["status"] == "refused"
    assert request["signature"] is None
    assert any(reason in refusal for refusal in request["reasons"])
    assert {node["kind"] for node in request["nodes"].values()} == {"refused"}


@SQLITE_ONLY
def test_custody_transfers_stop_at_the_rolling_daily_limit(api: Api, key: dict[str, Any]) -> None:
    """1,000-unit transfers until the nodes refuse: each node counts what it signed itself against the
    15,000 a day, so the 2-of-3 group signs at least 15 and at most 22 (3 x 15 / 2) before too few nodes
    are left under their limit."""
    signed = 0
    while signed <= 3 * CUSTODY_DAILY_LIMIT // 1_000 // 2:
        request = api.post("/sign-requests", {"key_id": key["key_id"], "intent": custody_transfer(1_000)})
        if request.json()["status"] != "signed":
            break
        assert_verifies(key, request.json())
        signed += 1
    assert CUSTODY_DAILY_LIMIT // 1_000 <= signed <= 3 * CUSTODY_DAILY_LIMIT // 1_000 // 2
    refused = request.json()
    assert refused["status"] == "refused"
    assert any("exceeds the rolling 24-hour limit" in reason for reason in refused["reasons"])


@SQLITE_ONLY
def test_an_outsider_cannot_ask_for_a_custody_transfer(
    key: dict[str, Any], client: TestClient, settings: ApiSettings
) -> None:
    with session_on(settings.database_url) as session:
        reader = issue_api_key(session, "reader", ["custody:read", "custody:approve"]).token
    before = count_rows(settings.database_url, CustodySignRequest)
    body = {"key_id": key["key_id"], "intent": custody_transfer(500)}
    for headers, status in (({}, 401), ({"Authorization": f"Bearer {reader}"}, 403)):
        response = client.post(
            "/v1/custody/sign-requests", json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
        )
        assert response.status_code == status, response.text
    assert "custody:sign" in response.json()["detail"]
    assert (
        count_rows(settings.database_url, CustodySignRequest) == before
    )  # nothing stored, so nothing asked of the nodes


@SQLITE_ONLY
@pytest.mark.parametrize("node_timeout", [0.5])
def test_nodes_down_leave_the_request_pending_until_a_retry(
    api: Api, key: dict[str, Any], group: CustodyGroup
) -> None:
    with frozen(group, 2, 3):
        request = api.post("/sign-requests", {"key_id": key["key_id"], "intent": treasury_tx(7)}).json()
    assert request["status"] == "pending"
    assert {node: outcome["kind"] for node, outcome in request["nodes"].items()} == {
        "2": "unavailable",
        "3": "unavailable",
    }
    assert "node 2 unavailable: no answer within 0.5 s" in request["reasons"]
    assert_verifies(key, api.post(f"/sign-requests/{request['id']}/attempts").json())


# -- approvals checked by the API ---------------------------------------------------------------------------


def test_an_approval_must_be_the_named_operators_over_this_request(
    api: Api, key: dict[str, Any], settings: ApiSettings
) -> None:
    request = api.post("/sign-requests", {"key_id": key["key_id"], "intent": treasury_tx(5_000)}).json()
    other = api.post("/sign-requests", {"key_id": key["key_id"], "intent": treasury_tx(5_000)}).json()
    path = f"/sign-requests/{request['id']}/approvals"

    forged = approval_of(request, MALLORY)
    claimed_by_alice = OperatorApproval(operator=ALICE.address, signature=forged.signature).to_json()
    response = api.post(path, claimed_by_alice)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "signature"
    assert MALLORY.address in response.json()["errors"][0]["message"]
    assert ("sign-request.approval-rejected", request["id"]) in audit_actions(settings)

    for_other_request = approval_of(other, ALICE)
    assert api.post(path, for_other_request.to_json()).status_code == 422

    assert approve(api, request, ALICE).status_code == 201
    twice = approve(api, request, ALICE)
    assert twice.status_code == 409
    assert ALICE.address in twice.json()["detail"]

    signed = approve(api, request, CAROL).json()
    assert signed["status"] == "signed"
    assert approve(api, request, BOB).status_code == 409  # signed already

    unknown = "0x" + "00" * 32
    assert api.post(f"/sign-requests/{unknown}/approvals", for_other_request.to_json()).status_code == 404
    assert api.get(f"/sign-requests/{unknown}").status_code == 404
    assert api.post(f"/sign-requests/{unknown}/attempts").status_code == 404


# -- idempotency ------------------------------------------------------------------------------------------


def test_only_the_policys_operators_may_approve(api: Api, key: dict[str, Any], settings: ApiSettings) -> None:
    """Throwaway accounts' own, validly signed approvals are refused (422 naming `operator`) and stored
    nowhere, so more of them than the approval cap leave room for the operators (issue 9, point 16)."""
    request = api.post("/sign-requests", {"key_id": key["key_id"], "intent": treasury_tx(5_000)}).json()
    for index in range(MAX_APPROVALS + 1):
        outsider = account(f"throwaway {index}")
        response = approve(api, request, outsider)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "operator"
        assert outsider.address in response.json()["errors"][0]["message"]
    assert api.get(f"/sign-requests/{request['id']}").json()["approvals"] == []
    assert ("sign-request.approval-rejected", request["id"]) in audit_actions(settings)
    assert approve(api, request, ALICE).status_code == 201
    assert approve(api, request, BOB).json()["status"] == "signed"


def test_a_retried_sign_request_is_replayed_not_made_twice(
    api: Api, key: dict[str, Any], settings: ApiSettings
) -> None:
    body = {"key_id": key["key_id"], "intent": treasury_tx(11)}
    first = api.post("/sign-requests", body, key="pay-invoice-42")
    again = api.post("/sign-requests", body, key="pay-invoice-42")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count_rows(settings.database_url, CustodySignRequest) == 1

    changed = api.post("/sign-requests", {**body, "intent": treasury_tx(12)}, key="pay-invoice-42")
    assert changed.status_code == 409
    assert changed.json()["type"] == "urn:tpwallet:problem:idempotency-key-reused"

    missing = api.client.post("/v1/custody/sign-requests", json=body, headers=api.headers)
    assert missing.status_code == 400
    assert "Idempotency-Key" in missing.json()["detail"]
    assert count_rows(settings.database_url, CustodySignRequest) == 1


def test_uint256_values_are_answered_as_strings_and_numbers_are_still_taken(
    api: Api, key: dict[str, Any], settings: ApiSettings
) -> None:
    """For this release a client may still send JSON numbers (deprecated): the same request, the same
    idempotency fingerprint, and an answer in strings like any other."""
    strings = treasury_tx(14)
    numbers = IntentEnvelope.model_validate(
        {
            **strings,
            "chain_id": TEST_CHAIN_ID,
            "message": decode_intent("TreasuryTx", strings["message"]).to_json(),
        }
    ).model_dump(mode="json")
    assert isinstance(numbers["message"]["amount"], int)
    first = api.post(
        "/sign-requests", {"key_id": key["key_id"], "intent": numbers}, key="numbers-then-strings"
    )
    assert first.status_code == 201, first.text
    assert first.json()["intent"] == strings
    assert f'"chain_id":"{TEST_CHAIN_ID}"' in first.text
    again = api.post(
        "/sign-requests", {"key_id": key["key_id"], "intent": strings}, key="numbers-then-strings"
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count_rows(settings.database_url, CustodySignRequest) == 1
    assert api.get(f"/sign-requests/{first.json()['id']}").json()["intent"] == strings


@SQLITE_ONLY
def test_a_body_not_sent_as_json_is_415(api: Api, key: dict[str, Any], settings: ApiSettings) -> None:
    body = json.dumps({"key_id": key["key_id"], "intent": treasury_tx(15)})
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        headers = {**api.headers, "Idempotency-Key": str(uuid.uuid4()), "Content-Type": content_type}
        response = api.client.post("/v1/custody/sign-requests", content=body, headers=headers)
        assert response.status_code == 415, response.text
        assert response.json()["type"] == "urn:tpwallet:problem:unsupported-media-type"
    assert count_rows(settings.database_url, CustodySignRequest) == 0


CONCURRENT = 6


def test_concurrent_requests_with_one_key_make_one_sign_request(
    api: Api, key: dict[str, Any], settings: ApiSettings
) -> None:
    body = {"key_id": key["key_id"], "intent": treasury_tx(13)}
    start = threading.Barrier(CONCURRENT)

    def submit() -> httpx.Response:
        start.wait()
        return api.post("/sign-requests", body, key="same-click")

    with ThreadPoolExecutor(CONCURRENT) as pool:
        responses = list(pool.map(lambda _: submit(), range(CONCURRENT)))
    assert count_rows(settings.database_url, CustodySignRequest) == 1
    assert {response.status_code for response in responses} <= {201, 409}
    bodies = {response.content for response in responses if response.status_code == 201}
    assert len(bodies) == 1


# -- validation and unknowns --------------------------------------------------------------------------------


def test_validation_errors_are_422_naming_the_field(
    api: Api, key: dict[str, Any], settings: ApiSettings
) -> None:
    intent = treasury_tx(1)
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/sign-requests", {"key_id": key["key_id"]}, "intent"),
        ("/sign-requests", {"key_id": "no spaces", "intent": intent}, "key_id"),
        (
            "/sign-requests",
            {"key_id": key["key_id"], "intent": {**intent, "chain_id": -1}},
            "intent.TreasuryTx.chain_id",
        ),
        *(
            (
                "/sign-requests",
                {
                    "key_id": key["key_id"],
                    "intent": {**intent, "message": {**intent["message"], "amount": bad}},
                },
                "intent.TreasuryTx.message.amount",
            )
            for bad in (1.5, "-1", "+1", "01", " 1", "1e3", "0x1", str(2**256), 2**256, True)
        ),
        (
            "/sign-requests",
            {
                "key_id": key["key_id"],
                "intent": {**intent, "message": {**intent["message"], "to": PAYEE.lower()}},
            },
            "intent.TreasuryTx.message.to",
        ),
        (
            "/sign-requests",
            {"key_id": key["key_id"], "intent": {**intent, "message": {**intent["message"], "extra": "1"}}},
            "intent.TreasuryTx.message.extra",
        ),
        ("/sign-requests", {"key_id": key["key_id"], "intent": {**intent, "primary_type": "Mint"}}, "intent"),
        ("/sign-requests", {"key_id": key["key_id"], "intent": intent, "extra": 1}, "extra"),
        ("/keys", {"threshold": 1}, "threshold"),
        ("/keys", {"threshold": 4}, "threshold"),
        ("/keys", {"participants": [1, 9]}, "participants"),
        ("/keys", {"participants": [1, 1, 2]}, "participants"),
    ]
    for path, body, field in cases:
        response = api.post(path, body)
        assert response.status_code == 422, (path, body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert field in {error["field"] for error in response.json()["errors"]}, (field, response.json())
    request = api.post("/sign-requests", {"key_id": key["key_id"], "intent": treasury_tx(5_000)}).json()
    approvals = f"/sign-requests/{request['id']}/approvals"
    lower = {"operator": ALICE.address.lower(), "signature": "0x" + "11" * 65}
    assert api.post(approvals, lower).json()["errors"][0]["field"] == "operator"
    short = {"operator": ALICE.address, "signature": "0x1234"}
    assert api.post(approvals, short).json()["errors"][0]["field"] == "signature"
    assert api.get("/audit", limit=0).json()["errors"][0]["field"] == "limit"
    assert api.get("/audit", cursor="x" * 20).json()["errors"][0]["field"] == "cursor"
    assert api.get("/sign-requests", status="lost").json()["errors"][0]["field"] == "status"
    assert api.get("/sign-requests/0x1234").json()["errors"][0]["field"] == "request_id"
    assert count_rows(settings.database_url, CustodySignRequest) == 1


def test_an_unknown_key_is_404(api: Api, settings: ApiSettings) -> None:
    assert api.get("/keys/no-such-key").status_code == 404
    for response in (
        api.post("/keys/no-such-key/import"),
        api.post("/keys/no-such-key/refresh"),
        api.post("/sign-requests", {"key_id": "no-such-key", "intent": treasury_tx(1)}),
    ):
        assert response.status_code == 404
        assert response.json()["type"] == "urn:tpwallet:problem:custody-key-not-found"
        assert "no node that answered holds a share" in response.json()["detail"]
    assert count_rows(settings.database_url, CustodySignRequest) == 0


# -- audit ------------------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_the_audit_log_pages_through_a_verified_chain(
    api: Api, key: dict[str, Any], settings: ApiSettings
) -> None:
    api.post("/sign-requests", {"key_id": key["key_id"], "intent": treasury_tx(3)})
    everything = AuditLog.open_file(settings.custody_audit_path)
    assert everything.verify().ok
    stored = [record.hash for record in everything.records()]

    pages, cursor = [], None
    while True:
        page = api.get("/audit", limit=2, **({"cursor": cursor} if cursor else {})).json()
        assert len(page["data"]) <= 2
        pages += page["data"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert [record["hash"] for record in pages] == stored
    assert [record["seq"] for record in pages] == list(range(1, len(stored) + 1))
    actors = {record["actor"] for record in pages}
    assert actors == {"tpw-coordinator", f"api-key:{api.headers['Authorization'].split('_')[1]}"}
