"""The signer node's problem documents to the byte (as `PINNED_BODIES` holds them): one of each kind, from
the FastAPI app's handlers and from the plain-ASGI signing routes, so that moving the problem code
(`custody.problems`) or changing it by accident cannot change what the coordinator reads."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from custody.node.http.app import create_app
from custody.node.http.routes.sign import SigningRoutes
from custody.node.http.transport import tls_extension, with_tls_extension
from custody.problems import PROBLEM_JSON
from custody.protocol.errors import PolicyRefused
from custody.tls import Credential
from tests.custody.node.conftest import LocalNode, round1_json

ROUND1 = "/v1/sign/round1"
PINNED_BODIES = Path(__file__).parents[1] / "golden" / "node-problem-documents.json"


@pytest.fixture
def client(local_nodes: dict[int, LocalNode], coordinator_credential: Credential) -> TestClient:
    """Node 1's app, with two more routes (a policy refusal, a bug), spoken to as the coordinator; a
    server error is answered, not raised into the test."""
    app = create_app(local_nodes[1].runtime)
    assert isinstance(app, SigningRoutes)
    assert isinstance(app.app, FastAPI)

    def refuse() -> None:
        raise PolicyRefused(["over the daily limit", "not on the allowlist"], "0xabcd")

    def explode() -> None:
        raise RuntimeError("/var/lib/tpw/keystore/share-7 is unreadable")

    app.app.add_api_route("/refuse", refuse)
    app.app.add_api_route("/explode", explode)
    der = coordinator_credential.certificate.public_bytes(Encoding.DER)
    return TestClient(with_tls_extension(app, tls_extension(der)), raise_server_exceptions=False)


PINNED: dict[str, tuple[int, Callable[[TestClient], Response]]] = {
    "signing-validation": (
        400,
        lambda client: client.post(ROUND1, json=round1_json() | {"session_id": "short"}),
    ),
    "signing-not-json": (
        400,
        lambda client: client.post(
            ROUND1, content=b"{not json", headers={"content-type": "application/json"}
        ),
    ),
    "signing-node-error": (
        404,
        lambda client: client.post(ROUND1, json=round1_json() | {"key_id": "cold-storage"}),
    ),
    "signing-405": (405, lambda client: client.get(ROUND1)),
    "signing-413": (
        413,
        lambda client: client.post(
            ROUND1, content=b"x" * (1 << 20 | 1), headers={"content-type": "application/json"}
        ),
    ),
    "starlette-404": (404, lambda client: client.get("/nowhere")),
    "fastapi-validation": (400, lambda client: client.post("/v1/keys/abort", json={"session_id": "short"})),
    "fastapi-not-json": (
        400,
        lambda client: client.post(
            "/v1/keys/abort", content=b"{", headers={"content-type": "application/json"}
        ),
    ),
    "fastapi-not-sent-as-json": (
        400,
        lambda client: client.post("/v1/keys/abort", content=b"{}", headers={"content-type": "text/plain"}),
    ),
    "node-error-with-extensions": (403, lambda client: client.get("/refuse")),
    "internal-error": (500, lambda client: client.get("/explode")),
}


@pytest.mark.parametrize("case", PINNED)
def test_each_kind_of_problem_document_is_pinned_to_the_byte(client: TestClient, case: str) -> None:
    status, ask = PINNED[case]

    answer = ask(client)

    assert (answer.status_code, answer.headers["content-type"]) == (status, PROBLEM_JSON)
    assert answer.content == json.loads(PINNED_BODIES.read_text())[case].encode()


def test_a_method_a_route_does_not_take_is_a_405_naming_those_it_does(client: TestClient) -> None:
    """The signing routes always said ``Allow: POST``; the FastAPI routes say it too since the node's
    handlers are the API's (RFC 9110 15.5.6: a 405 must list the allowed methods)."""
    answer = client.post("/v1/health")

    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET"
    assert answer.content == (
        b'{"type":"urn:tpwallet:custody:method-not-allowed","title":"Method Not Allowed","status":405,'
        b'"detail":"Method Not Allowed","instance":"/v1/health"}'
    )
