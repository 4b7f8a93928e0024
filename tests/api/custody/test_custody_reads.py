"""Who reads what among custody reads, and the lists, against the same real 3-node group as
`tests/api/custody/test_custody.py` (`conftest.py`'s fixtures), on SQLite and PostgreSQL.

Every authorization rule is tried from outside, as a caller would meet it: no key 401, a key without the
route's scope 403, another caller's sign request 404 (the very answer an unknown id gets), admin and audit
keys read everything. Lists page by cursor and keep their order while requests are made and signed between
pages; the audit log pages through its index.
"""

import secrets
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.auth import Scope, issue_api_key
from api.settings import ApiSettings
from tests.helpers.custody_api import ALICE, BOB, SQLITE_ONLY, Api, approve, treasury_tx
from tests.helpers.db import session_on

UNKNOWN_REQUEST = "0x" + "00" * 32
PENDING_AMOUNT = 5_000  # above 1,000: two operators' approvals needed, so the request stays pending
SIGNED_AMOUNT = 5


def caller(client: TestClient, settings: ApiSettings, *scopes: Scope) -> Api:
    """A caller holding a key of its own with `scopes`."""
    with session_on(settings.database_url) as session:
        return Api(client, issue_api_key(session, "caller", scopes).token)


@pytest.fixture
def desks(client: TestClient, settings: ApiSettings) -> tuple[Api, Api]:
    """Two trading desks, each with a key of its own that signs and reads its own requests."""
    first, second = (caller(client, settings, "custody:sign", "custody:read") for _ in range(2))
    return first, second


def request_ids(page: dict[str, Any]) -> list[str]:
    return [request["id"] for request in page["data"]]


def sign_request(api: Api, key: dict[str, Any], amount: int) -> dict[str, Any]:
    response = api.post("/sign-requests", {"key_id": key["key_id"], "intent": treasury_tx(amount)})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def every_page(api: Api, path: str, limit: int, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, page by page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = api.get(path, limit=limit, **params, **({"cursor": cursor} if cursor else {})).json()
        assert len(page["data"]) <= limit
        items += page["data"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return items


# -- who reads a sign request -------------------------------------------------------------------------------


def test_a_sign_request_is_read_by_its_creator_and_admin_or_audit_keys_only(
    client: TestClient, settings: ApiSettings, key: dict[str, Any], desks: tuple[Api, Api]
) -> None:
    desk, other_desk = desks
    request = sign_request(desk, key, PENDING_AMOUNT)
    path = f"/sign-requests/{request['id']}"

    assert desk.get(path).json() == request
    for reader in ("custody:admin", "custody:audit", "custody:approve"):  # none holds custody:read
        response = caller(client, settings, reader).get(path)
        assert response.status_code == 200, (reader, response.text)
        assert response.json() == request

    theirs = other_desk.get(path)
    unknown = other_desk.get(f"/sign-requests/{UNKNOWN_REQUEST}")
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["type"] == unknown.json()["type"] == "urn:tpwallet:problem:sign-request-not-found"
    assert theirs.json()["detail"] == f"no sign request {request['id']}"  # as for an id never made
    assert unknown.json()["detail"] == f"no sign request {UNKNOWN_REQUEST}"
    driven = other_desk.post(f"{path}/attempts")  # nor can another key drive its signing attempts
    assert (driven.status_code, driven.json()["type"]) == (404, unknown.json()["type"])
    assert driven.json()["detail"] == f"no sign request {request['id']}"
    assert desk.post(f"{path}/attempts").status_code == 200  # its creator can

    for scopes in (("custody:sign",),):
        refused = caller(client, settings, *scopes).get(path)
        assert refused.status_code == 403, scopes
        assert "custody:read" in refused.json()["detail"]
    nobody = client.get("/v1/custody" + path)
    assert nobody.status_code == 401
    assert nobody.headers["WWW-Authenticate"] == 'Bearer realm="tpwallet"'


def test_lists_show_a_caller_its_own_requests_and_admin_or_audit_keys_every_one(
    client: TestClient, settings: ApiSettings, key: dict[str, Any], desks: tuple[Api, Api]
) -> None:
    desk, other_desk = desks
    mine = [sign_request(desk, key, SIGNED_AMOUNT)["id"], sign_request(desk, key, PENDING_AMOUNT)["id"]]
    theirs = [sign_request(other_desk, key, PENDING_AMOUNT)["id"]]

    assert [r["id"] for r in every_page(desk, "/sign-requests", 1)] == mine
    assert [r["id"] for r in every_page(other_desk, "/sign-requests", 1)] == theirs
    assert [r["id"] for r in every_page(desk, "/sign-requests", 5, status="pending")] == mine[1:]
    for reader in ("custody:admin", "custody:audit", "custody:approve"):  # an operator reads its queue
        everyone = caller(client, settings, reader)
        assert [r["id"] for r in every_page(everyone, "/sign-requests", 2)] == mine + theirs
        pending = every_page(everyone, "/sign-requests", 2, status="pending")
        assert [r["id"] for r in pending] == [mine[1], *theirs]
        signed = every_page(everyone, "/sign-requests", 2, status="signed")
        assert [r["id"] for r in signed] == mine[:1]
        assert every_page(everyone, "/sign-requests", 2, status="refused") == []

    assert caller(client, settings, "custody:sign").get("/sign-requests").status_code == 403
    assert client.get("/v1/custody/sign-requests").status_code == 401


# -- lists --------------------------------------------------------------------------------------------------


def test_the_pending_list_pages_stably_while_requests_are_made_and_signed(
    api: Api,
    key: dict[str, Any],
) -> None:
    """Offset paging would skip a request here: the first page's first request is signed before the second
    page is read, which shifts every later one a place forward. A cursor holds a position, not a count."""
    pending = [sign_request(api, key, PENDING_AMOUNT) for _ in range(5)]
    first = api.get("/sign-requests", status="pending", limit=2).json()
    assert (request_ids(first), first["has_more"]) == ([r["id"] for r in pending[:2]], True)

    approve(api, pending[0], ALICE)
    assert approve(api, pending[0], BOB).json()["status"] == "signed"  # leaves the pending list
    newer = sign_request(api, key, PENDING_AMOUNT)  # made while the client pages

    second = api.get("/sign-requests", status="pending", limit=2, cursor=first["next_cursor"]).json()
    assert request_ids(second) == [r["id"] for r in pending[2:4]]
    rest = api.get("/sign-requests", status="pending", limit=2, cursor=second["next_cursor"]).json()
    assert (request_ids(rest), rest["has_more"]) == ([pending[4]["id"], newer["id"]], False)
    assert all(
        request["status"] == "pending" for request in first["data"][1:] + second["data"] + rest["data"]
    )

    wrong_filter = api.get("/sign-requests", status="signed", cursor=second["next_cursor"])
    assert wrong_filter.status_code == 400
    assert wrong_filter.json()["errors"][0]["field"] == "cursor"
    tampered = second["next_cursor"][:-3] + ("AAA" if second["next_cursor"][-3:] != "AAA" else "BBB")
    assert api.get("/sign-requests", cursor=tampered).json()["errors"][0]["field"] == "cursor"


def test_keys_are_listed_by_id(api: Api, key: dict[str, Any]) -> None:
    made = [key["key_id"]] + [
        api.post("/keys", {"key_id": f"{prefix}-{secrets.token_hex(4)}"}).json()["key_id"] for prefix in "az"
    ]
    listed = every_page(api, "/keys", 2)
    assert [k["key_id"] for k in listed] == sorted(made)
    assert next(k for k in listed if k["key_id"] == key["key_id"]) == {
        name: value for name, value in key.items() if name != "lagging_nodes"
    }
    assert api.get("/keys", limit=101).json()["errors"][0]["field"] == "limit"


# -- the audit log ------------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_the_audit_log_pages_by_its_index_and_a_follower_reads_on_later(
    api: Api,
    key: dict[str, Any],
    settings: ApiSettings,
    client: TestClient,
) -> None:
    sign_request(api, key, SIGNED_AMOUNT)
    auditor = caller(client, settings, "custody:audit")
    records = every_page(auditor, "/audit", 3)
    head = auditor.get("/audit", limit=100).json()
    assert head["has_more"] is False
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))

    later = sign_request(api, key, SIGNED_AMOUNT)
    followed = auditor.get("/audit", cursor=head["next_cursor"]).json()
    seqs = [r["seq"] for r in followed["data"]]
    assert seqs == list(range(len(records) + 1, len(records) + 1 + len(seqs)))
    assert ("sign-request.created", later["id"]) in {(r["action"], r["subject"]) for r in followed["data"]}

    # Only the page's own bytes are read: with the log's first line garbled, the tail still pages.
    lines = settings.custody_audit_path.read_bytes().splitlines(keepends=True)
    lines[0] = b"#" * (len(lines[0]) - 1) + b"\n"
    settings.custody_audit_path.write_bytes(b"".join(lines))
    assert auditor.get("/audit", cursor=head["next_cursor"]).json()["data"] == followed["data"]


def test_no_key_wrong_scope_and_bad_cursors_on_the_audit_log(
    client: TestClient,
    settings: ApiSettings,
    key: dict[str, Any],
) -> None:
    assert client.get("/v1/custody/audit").status_code == 401
    for scopes in (("custody:read",), ("custody:admin", "custody:sign", "custody:approve")):
        refused: httpx.Response = caller(client, settings, *scopes).get("/audit")
        assert refused.status_code == 403
        assert "custody:audit" in refused.json()["detail"]
    auditor = caller(client, settings, "custody:audit")
    page = auditor.get("/audit", limit=1).json()
    for cursor in ("not-a-cursor", page["next_cursor"] + "A", "A" * 2000):
        response = auditor.get("/audit", cursor=cursor)
        assert response.status_code in (400, 422), cursor
        assert response.json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("path", ["/keys", "/sign-requests", "/keys/any-key"])
@SQLITE_ONLY
def test_reads_need_a_key(client: TestClient, path: str) -> None:
    assert client.get("/v1/custody" + path).status_code == 401
