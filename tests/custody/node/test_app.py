"""Tests of the node's HTTP face in process: who may call what, and the problem documents it answers with."""

from typing import Any

import pytest

from tests.custody.node.conftest import LocalNode, round1_json
from tests.helpers.custody_nodes import TEST_KEY_ID, CustodyGroup

ROUND1 = "/v1/sign/round1"
ROUND2 = "/v1/sign/round2"


@pytest.fixture
def node(local_nodes: dict[int, LocalNode]) -> LocalNode:
    return local_nodes[1]


def test_health_names_the_node_and_its_keys(node: LocalNode, group_files: CustodyGroup) -> None:
    for peer in (
        node.client,
        node.as_peer(group_files.ca.issue("tpw-node-2", server_auth=True, client_auth=True)),
    ):
        response = peer.get("/v1/health")

        assert response.status_code == 200
        assert response.json() == {"status": "ok", "node_id": 1, "keys": [TEST_KEY_ID]}


@pytest.mark.parametrize("path", [ROUND1, ROUND2])
def test_only_the_coordinator_may_ask_for_signatures(
    node: LocalNode, group_files: CustodyGroup, path: str
) -> None:
    another_member = group_files.ca.issue("tpw-node-2", server_auth=True, client_auth=True)

    response = node.as_peer(another_member).post(path, json=round1_json())

    assert response.status_code == 403
    assert response.json()["type"] == "urn:tpwallet:custody:peer-not-allowed"
    assert "tpw-node-2" in response.json()["detail"]
    last = list(node.runtime.audit.records())[-1]
    assert (last.actor, last.action, last.subject) == ("tpw-node-2", "peer.refused", f"POST {path}")


@pytest.mark.parametrize("route", [("GET", "/v1/health"), ("POST", ROUND1)])
def test_a_request_without_a_client_certificate_is_refused(node: LocalNode, route: tuple[str, str]) -> None:
    method, path = route

    response = node.as_peer(None).request(method, path, json=round1_json())

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda body: body.update(session_id="short"), "body.session_id"),
        (lambda body: body.update(request_id="0x1234"), "body.request_id"),
        (lambda body: body.update(key_id="-bad-"), "body.key_id"),
        (lambda body: body.update(extra=1), "body.extra"),
        (lambda body: body["intent"].update(chain_id="31337"), "body.intent.chain_id"),
        (lambda body: body.pop("intent"), "body.intent"),
    ],
)
def test_a_malformed_body_is_a_400_naming_the_field(node: LocalNode, change: Any, field: str) -> None:
    body = round1_json()
    change(body)

    response = node.client.post(ROUND1, json=body)

    assert response.status_code == 400
    problem = response.json()
    assert problem["type"] == "urn:tpwallet:custody:malformed-request"
    assert field in problem["detail"]


def test_an_intent_that_does_not_decode_is_a_400(node: LocalNode) -> None:
    body = round1_json()
    body["intent"]["message"]["kind"] = 256

    response = node.client.post(ROUND1, json=body)

    assert response.status_code == 400
    assert "does not decode" in response.json()["detail"]


def test_a_key_the_node_does_not_hold_is_a_404(node: LocalNode) -> None:
    body = round1_json() | {"key_id": "cold-storage"}

    response = node.client.post(ROUND1, json=body)

    assert response.status_code == 404
    assert response.json()["type"] == "urn:tpwallet:custody:unknown-key"


def test_unknown_routes_answer_problem_documents_and_there_are_no_docs(node: LocalNode) -> None:
    for path in ("/nowhere", "/docs", "/openapi.json"):
        response = node.client.get(path)

        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", [ROUND1, ROUND2])
def test_the_signing_routes_take_post_only(node: LocalNode, path: str) -> None:
    response = node.client.get(path)

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:tpwallet:custody:method-not-allowed"


def test_a_body_that_is_not_json_is_a_400(node: LocalNode) -> None:
    response = node.client.post(ROUND1, content=b"{not json", headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert response.json()["type"] == "urn:tpwallet:custody:malformed-request"
    assert response.json()["errors"][0]["field"] == "body"


def test_an_oversized_body_is_a_413_and_nothing_is_signed(node: LocalNode) -> None:
    body = round1_json() | {"approvals": [{"operator": "x" * 2_000_000, "signature": "0x"}]}

    response = node.client.post(ROUND1, json=body)

    assert response.status_code == 413
    assert response.json()["type"] == "urn:tpwallet:custody:request-entity-too-large"
    assert node.runtime.sessions.nonce_holders() == []
