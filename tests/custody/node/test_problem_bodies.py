"""The signer node's problem documents to the byte: one of each kind, from the FastAPI app's handlers and
from the plain-ASGI signing routes, so that moving the problem code (`custody.problems`) or changing it by
accident cannot change what the coordinator reads."""

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from custody.node.app import create_app
from custody.node.errors import PolicyRefused
from custody.node.routes_sign import SigningRoutes
from custody.node.transport import tls_extension, with_tls_extension
from custody.problems import PROBLEM_JSON
from custody.tls import Credential
from tests.custody.node.conftest import LocalNode, round1_json

ROUND1 = "/v1/sign/round1"


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


PINNED = [
    pytest.param(
        lambda client: client.post(ROUND1, json=round1_json() | {"session_id": "short"}),
        400,
        b'{"type":"urn:tpwallet:custody:malformed-request","title":"Malformed request","status":400,'
        b'"detail":"invalid value for: body.session_id","instance":"/v1/sign/round1","errors":'
        b'[{"field":"body.session_id","message":"String should match pattern '
        b"'^[A-Za-z0-9][A-Za-z0-9_-]{15,63}$'\"}]}",
        id="signing-validation",
    ),
    pytest.param(
        lambda client: client.post(
            ROUND1, content=b"{not json", headers={"content-type": "application/json"}
        ),
        400,
        b'{"type":"urn:tpwallet:custody:malformed-request","title":"Malformed request","status":400,'
        b'"detail":"invalid value for: body","instance":"/v1/sign/round1","errors":[{"field":"body",'
        b'"message":"Invalid JSON: key must be a string at line 1 column 2"}]}',
        id="signing-not-json",
    ),
    pytest.param(
        lambda client: client.post(ROUND1, json=round1_json() | {"key_id": "cold-storage"}),
        404,
        b'{"type":"urn:tpwallet:custody:unknown-key","title":"Unknown key","status":404,'
        b'"detail":"this node holds no share of key \'cold-storage\'","instance":"/v1/sign/round1"}',
        id="signing-node-error",
    ),
    pytest.param(
        lambda client: client.get(ROUND1),
        405,
        b'{"type":"urn:tpwallet:custody:method-not-allowed","title":"Method Not Allowed","status":405,'
        b'"detail":"use POST","instance":"/v1/sign/round1"}',
        id="signing-405",
    ),
    pytest.param(
        lambda client: client.post(
            ROUND1, content=b"x" * (1 << 20 | 1), headers={"content-type": "application/json"}
        ),
        413,
        b'{"type":"urn:tpwallet:custody:request-entity-too-large","title":"Request Entity Too Large",'
        b'"status":413,"detail":"a body is at most 1048576 bytes","instance":"/v1/sign/round1"}',
        id="signing-413",
    ),
    pytest.param(
        lambda client: client.get("/nowhere"),
        404,
        b'{"type":"urn:tpwallet:custody:not-found","title":"Not Found","status":404,"detail":"Not Found",'
        b'"instance":"/nowhere"}',
        id="starlette-404",
    ),
    pytest.param(
        lambda client: client.post("/v1/keys/abort", json={"session_id": "short"}),
        400,
        b'{"type":"urn:tpwallet:custody:malformed-request","title":"Malformed request","status":400,'
        b'"detail":"invalid value for: body.session_id","instance":"/v1/keys/abort","errors":'
        b'[{"field":"body.session_id","message":"String should match pattern '
        b"'^[A-Za-z0-9][A-Za-z0-9_-]{15,63}$'\"}]}",
        id="fastapi-validation",
    ),
    pytest.param(
        lambda client: client.post(
            "/v1/keys/abort", content=b"{", headers={"content-type": "application/json"}
        ),
        400,
        b'{"type":"urn:tpwallet:custody:malformed-request","title":"Malformed request","status":400,'
        b'"detail":"invalid value for: body.1","instance":"/v1/keys/abort","errors":[{"field":"body.1",'
        b'"message":"JSON decode error"}]}',
        id="fastapi-not-json",
    ),
    pytest.param(
        lambda client: client.post("/v1/keys/abort", content=b"{}", headers={"content-type": "text/plain"}),
        400,
        b'{"type":"urn:tpwallet:custody:malformed-request","title":"Malformed request","status":400,'
        b'"detail":"invalid value for: body","instance":"/v1/keys/abort","errors":[{"field":"body",'
        b'"message":"Input should be a valid dictionary or object to extract fields from"}]}',
        id="fastapi-not-sent-as-json",
    ),
    pytest.param(
        lambda client: client.get("/refuse"),
        403,
        b'{"type":"urn:tpwallet:custody:policy-refused","title":"Refused by policy","status":403,'
        b'"detail":"the node\'s policy refuses this intent: over the daily limit; not on the allowlist",'
        b'"instance":"/refuse","reasons":["over the daily limit","not on the allowlist"],'
        b'"policy_hash":"0xabcd"}',
        id="node-error-with-extensions",
    ),
    pytest.param(
        lambda client: client.get("/explode"),
        500,
        b'{"type":"urn:tpwallet:custody:node-error","title":"Signer node error","status":500,'
        b'"detail":"the node failed to handle the request; see its log","instance":"/explode"}',
        id="internal-error",
    ),
]


@pytest.mark.parametrize(("ask", "status", "body"), PINNED)
def test_each_kind_of_problem_document_is_pinned_to_the_byte(
    client: TestClient, ask: Callable[[TestClient], Response], status: int, body: bytes
) -> None:
    answer = ask(client)

    assert (answer.status_code, answer.headers["content-type"], answer.content) == (
        status,
        PROBLEM_JSON,
        body,
    )


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
