"""The API's problem documents to the byte: one of each kind the handlers build, so that moving the
problem code (`custody.problems`) or changing it by accident cannot change what clients read."""

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import BaseModel

from api.ratelimit import RateLimited
from api.schemas import Uint256

REQUEST_ID = {"X-Request-ID": "pin-1"}
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def pinned_client(app: FastAPI) -> TestClient:
    """The app with routes that take a JSON body, hit a bug, and raise an `ApiError` with a header."""

    class Order(BaseModel):
        amount: Uint256

    def order(body: Order) -> dict[str, str]:
        return {"amount": str(body.amount)}

    def explode() -> None:
        raise RuntimeError("db password is hunter2")

    def limited() -> None:
        raise RateLimited("slow down", 2.5)

    app.add_api_route("/orders", order, methods=["POST"])
    app.add_api_route("/explode", explode)
    app.add_api_route("/limited", limited)
    return TestClient(app)


CASES: list[tuple[str, Callable[[TestClient], Response], int, bytes]] = [
    (
        "starlette-404",
        lambda client: client.get("/no/such/thing", headers=REQUEST_ID),
        404,
        b'{"type":"urn:tpwallet:problem:not-found","title":"Not Found","status":404,"detail":"Not Found",'
        b'"instance":"/no/such/thing","request_id":"pin-1"}',
    ),
    (
        "starlette-405",
        lambda client: client.post("/health", headers=REQUEST_ID),
        405,
        b'{"type":"urn:tpwallet:problem:method-not-allowed","title":"Method Not Allowed","status":405,'
        b'"detail":"Method Not Allowed","instance":"/health","request_id":"pin-1"}',
    ),
    (
        "validation-path",
        lambda client: client.get("/v1/chains/l1/transactions/0x1234/events", headers=REQUEST_ID),
        422,
        b'{"type":"urn:tpwallet:problem:validation-error","title":"Invalid request","status":422,'
        b'"detail":"invalid value for: tx_hash","instance":"/v1/chains/l1/transactions/0x1234/events",'
        b'"request_id":"pin-1","errors":[{"field":"tx_hash","message":"String should match pattern '
        b"'^0x[0-9a-fA-F]{64}$'\"}]}",
    ),
    (
        "validation-body",
        lambda client: client.post("/orders", json={"amount": "-1"}, headers=REQUEST_ID),
        422,
        b'{"type":"urn:tpwallet:problem:validation-error","title":"Invalid request","status":422,'
        b'"detail":"invalid value for: amount","instance":"/orders","request_id":"pin-1","errors":'
        b'[{"field":"amount","message":"a uint256 is a string of decimal digits: no sign, spaces, leading '
        b'zeros or exponent"}]}',
    ),
    (
        "malformed-json",
        lambda client: client.post("/orders", content=b'{"amount": "1",', headers=REQUEST_ID | JSON),
        400,
        b'{"type":"urn:tpwallet:problem:malformed-json","title":"Malformed JSON","status":400,'
        b'"detail":"the body is not valid JSON: Expecting property name enclosed in double quotes at '
        b'character 15","instance":"/orders","request_id":"pin-1"}',
    ),
    (
        "not-utf-8",
        lambda client: client.post("/orders", content=b"\xff", headers=REQUEST_ID | JSON),
        400,
        b'{"type":"urn:tpwallet:problem:malformed-json","title":"Malformed JSON","status":400,'
        b'"detail":"the body is not valid JSON: not UTF-8","instance":"/orders","request_id":"pin-1"}',
    ),
    (
        "unsupported-media-type",
        lambda client: client.post(
            "/orders", content=b'{"amount": "1"}', headers=REQUEST_ID | {"Content-Type": "text/plain"}
        ),
        415,
        b'{"type":"urn:tpwallet:problem:unsupported-media-type","title":"Unsupported media type",'
        b'"status":415,"detail":"this route takes a JSON body: send it with Content-Type: application/json",'
        b'"instance":"/orders","request_id":"pin-1"}',
    ),
    (
        "internal-error",
        lambda client: client.get("/explode", headers=REQUEST_ID),
        500,
        b'{"type":"urn:tpwallet:problem:internal-error","title":"Internal error","status":500,'
        b'"detail":"The server failed to handle the request; quote the request id when reporting it.",'
        b'"instance":"/explode","request_id":"pin-1"}',
    ),
    (
        "api-error-with-extension",
        lambda client: client.get("/limited", headers=REQUEST_ID),
        429,
        b'{"type":"urn:tpwallet:problem:rate-limited","title":"Too many requests","status":429,'
        b'"detail":"slow down","instance":"/limited","request_id":"pin-1","retry_after":3}',
    ),
]


@pytest.mark.parametrize(
    ("ask", "status", "body"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_each_kind_of_problem_document_is_pinned_to_the_byte(
    pinned_client: TestClient, ask: Callable[[TestClient], Response], status: int, body: bytes
) -> None:
    with pinned_client as client:
        response = ask(client)

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.content == body


def test_the_headers_an_error_carries_are_sent_with_its_problem(pinned_client: TestClient) -> None:
    with pinned_client as client:
        assert client.post("/health").headers["allow"] == "GET"
        assert client.get("/limited").headers["retry-after"] == "3"
