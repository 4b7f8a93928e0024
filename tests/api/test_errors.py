"""Problem documents (RFC 9457) for every error path, and request ids on every response."""

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import BaseModel

from api.ratelimit import RateLimited
from api.schemas import Uint256

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "request_id"}
GENERATED_ID = re.compile(r"[0-9a-f]{32}")
SECRET_DETAIL = "db password is hunter2"


@pytest.fixture
def failing_app(app: FastAPI) -> FastAPI:
    """The app with one extra route that hits a bug."""

    def explode() -> None:
        raise RuntimeError(SECRET_DETAIL)

    app.add_api_route("/explode", explode)
    return app


def assert_problem(response, status: int, problem: str) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"] == f"urn:tpwallet:problem:{problem}"
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def test_unknown_route_is_a_404_problem(client: TestClient):
    body = assert_problem(client.get("/no/such/thing"), 404, "not-found")
    assert body["instance"] == "/no/such/thing"
    assert body["title"] == "Not Found"


def test_wrong_method_is_a_405_problem_that_keeps_the_allow_header(client: TestClient):
    response = client.post("/health")
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "GET"


def test_malformed_tx_hash_is_a_422_problem_naming_the_field(client: TestClient):
    body = assert_problem(client.get("/v1/chains/l1/transactions/0x1234/events"), 422, "validation-error")
    assert body["detail"] == "invalid value for: tx_hash"
    assert [error["field"] for error in body["errors"]] == ["tx_hash"]
    assert "pattern" in body["errors"][0]["message"]


def test_unexpected_error_is_a_500_problem_that_leaks_nothing(failing_app: FastAPI):
    with TestClient(failing_app) as client:
        response = client.get("/explode", headers={"X-Request-ID": "trace-500"})
    body = assert_problem(response, 500, "internal-error")
    assert body["request_id"] == "trace-500"
    assert SECRET_DETAIL not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize("offered", ["req-42", "a" * 128, "0af7651916cd43dd8448eb211c80319c", "span.1:2_3"])
def test_a_sane_request_id_is_echoed(client: TestClient, offered: str):
    response = client.get("/no/such/thing", headers={"X-Request-ID": offered})
    assert response.headers["x-request-id"] == offered
    assert response.json()["request_id"] == offered


@pytest.mark.parametrize("offered", ["", "a" * 129, "has space", 'quote"', "new\\nline", "ünïcode"])
def test_an_insane_request_id_is_replaced(client: TestClient, offered: str):
    response = client.get("/health", headers={"X-Request-ID": offered.encode()})
    assert response.headers["x-request-id"] != offered
    assert GENERATED_ID.fullmatch(response.headers["x-request-id"])


def test_a_request_id_is_generated_when_none_is_offered(client: TestClient):
    first = client.get("/health").headers["x-request-id"]
    second = client.get("/health").headers["x-request-id"]
    assert GENERATED_ID.fullmatch(first)
    assert first != second


def test_openapi_describes_the_routes(client: TestClient):
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "TPWallet API"
    assert {tag["name"] for tag in spec["tags"]} == {
        "operations",
        "chains",
        "custody",
        "ledger",
        "merchants",
        "payments",
        "disputes",
        "fx",
        "webhooks",
        "reconciliation",
        "reports",
        "auth",
        "subscriptions",
        "vesting",
        "devices",
        "monitoring",
        "risk",
        "cases",
        "factors",
        "kyc",
        "screening",
    }
    events = spec["paths"]["/v1/chains/{network}/transactions/{tx_hash}/events"]["get"]
    assert events["tags"] == ["chains"]
    assert {"404", "422", "503"} <= set(events["responses"])
    assert client.get("/docs").status_code == 200


@pytest.fixture
def json_route_app(app: FastAPI) -> FastAPI:
    """The app with one extra route that takes a JSON body."""

    class Order(BaseModel):
        amount: Uint256

    def order(body: Order) -> dict[str, str]:
        return {"amount": str(body.amount)}

    app.add_api_route("/orders", order, methods=["POST"])
    return app


@pytest.mark.parametrize("body", [b'{"amount": "1",', b"{amount: 1}", b'{"amount": "1"} trailing', b"\xff"])
def test_malformed_json_is_a_400_problem_of_its_own(json_route_app: FastAPI, body: bytes):
    """Not a 422 naming a byte offset as if it were a field: the body is not JSON at all."""
    with TestClient(json_route_app) as client:
        response = client.post("/orders", content=body, headers={"Content-Type": "application/json"})
    problem = assert_problem(response, 400, "malformed-json")
    assert "errors" not in problem
    assert problem["detail"].startswith("the body is not valid JSON")


def test_malformed_json_on_a_custody_route_is_400_before_anything_else(client: TestClient):
    response = client.post(
        "/v1/custody/sign-requests", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400, "malformed-json")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]
)
def test_a_body_that_is_not_sent_as_json_is_a_415_problem(json_route_app: FastAPI, content_type: str | None):
    headers = {"Content-Type": content_type} if content_type else {}
    with TestClient(json_route_app) as client:
        response = client.post("/orders", content=b'{"amount": "1"}', headers=headers)
        assert_problem(response, 415, "unsupported-media-type")
        accepted = client.post(
            "/orders", content=b'{"amount": "1"}', headers={"Content-Type": "application/json; charset=utf-8"}
        )
    assert accepted.json() == {"amount": "1"}


@pytest.mark.parametrize(
    "amount",
    ["-1", "+1", " 1", "1 ", "01", "1.0", "1e3", "0x1", "", "\u0661", str(2**256), 2**256, 1.5, True],
)
def test_a_malformed_uint256_is_a_422_naming_the_field(json_route_app: FastAPI, amount: object):
    with TestClient(json_route_app) as client:
        response = client.post("/orders", json={"amount": amount})
    problem = assert_problem(response, 422, "validation-error")
    assert [error["field"] for error in problem["errors"]] == ["amount"]


@pytest.mark.parametrize("amount", ["0", "1", str(2**256 - 1), 2**256 - 1, 7])
def test_a_uint256_is_taken_as_a_string_or_for_now_a_number_and_answered_as_a_string(
    json_route_app: FastAPI, amount: object
):
    with TestClient(json_route_app) as client:
        response = client.post("/orders", json={"amount": amount})
    assert response.json() == {"amount": str(amount)}


REQUEST_ID = {"X-Request-ID": "pin-1"}
PINNED_BODIES = Path(__file__).parent / "golden" / "problem-documents.json"
JSON = {"Content-Type": "application/json"}

PINNED: dict[str, tuple[int, Callable[[TestClient], Response]]] = {
    "starlette-404": (404, lambda client: client.get("/no/such/thing", headers=REQUEST_ID)),
    "starlette-405": (405, lambda client: client.post("/health", headers=REQUEST_ID)),
    "validation-path": (
        422,
        lambda client: client.get("/v1/chains/l1/transactions/0x1234/events", headers=REQUEST_ID),
    ),
    "validation-body": (
        422,
        lambda client: client.post("/orders", json={"amount": "-1"}, headers=REQUEST_ID),
    ),
    "malformed-json": (
        400,
        lambda client: client.post("/orders", content=b'{"amount": "1",', headers=REQUEST_ID | JSON),
    ),
    "not-utf-8": (400, lambda client: client.post("/orders", content=b"\xff", headers=REQUEST_ID | JSON)),
    "unsupported-media-type": (
        415,
        lambda client: client.post(
            "/orders", content=b'{"amount": "1"}', headers=REQUEST_ID | {"Content-Type": "text/plain"}
        ),
    ),
    "internal-error": (500, lambda client: client.get("/explode", headers=REQUEST_ID)),
    "api-error-with-extension": (429, lambda client: client.get("/limited", headers=REQUEST_ID)),
}


@pytest.mark.parametrize("case", PINNED)
def test_each_kind_of_problem_document_is_pinned_to_the_byte(
    json_route_app: FastAPI, failing_app: FastAPI, case: str
):
    """One of each kind the handlers build, byte for byte as `PINNED_BODIES` holds them, so that moving
    the problem code (`custody.problems`) or changing it by accident cannot change what clients read;
    `Retry-After` and `Allow` go with theirs."""

    def limited() -> None:
        raise RateLimited("slow down", 2.5)

    json_route_app.add_api_route("/limited", limited)
    status, ask = PINNED[case]
    with TestClient(json_route_app) as client:
        response = ask(client)
    assert (response.status_code, response.headers["content-type"]) == (status, "application/problem+json")
    assert response.content == json.loads(PINNED_BODIES.read_text())[case].encode()
    assert response.headers.get("retry-after") == ("3" if status == 429 else None)
    assert response.headers.get("allow") == ("GET" if status == 405 else None)
