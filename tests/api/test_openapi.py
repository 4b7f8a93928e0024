"""The OpenAPI document describes what the server enforces, and is a valid OpenAPI 3.1 document that clients
can be generated from: Problem on every error, the headers every response carries, 413/415/429 where they can
happen, one schema per intent type behind a discriminator that resolves, uint256 values as strings."""

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from api.auth import ApiClient
from api.errors import PROBLEM_JSON
from api.idempotency.route import IdempotencyKeyMissing, idempotency
from chain.intents import INTENT_TYPES

PROBLEM_REF = "#/components/schemas/Problem"
RAIL_EVENTS = "/v1/rails/"
"""Where rails' counterparts POST their signed webhooks: no API key and no Idempotency-Key (a redelivery is
signed afresh; the signature's replay store refuses a copy)."""
AUTH = "/v1/auth/"
"""Sign-in and session routes: no Idempotency-Key (each step is single use by its nonce, challenge or refresh
token, and a stored answer would keep the tokens it issued)."""
FACTORS = "/v1/factors/"
"""A customer's factor routes, as the sign-in routes: no Idempotency-Key (a code or recovery code is single
use, and the answers are secrets shown once: a TOTP secret, recovery codes, a factor proof)."""
PRIVACY = "/v1/privacy/"
"""Erasure: no Idempotency-Key (idempotent by its subject: a repeated request answers the first record)."""
NOT_IDEMPOTENT = (RAIL_EVENTS, AUTH, FACTORS, PRIVACY)
STEP_UP = ("/verify-factor", "/verify-factor/passkey-options")
"""A customer's step-up on a payment intent: no Idempotency-Key (its code is spent once, and the verified
factor is written on the intent before the rail is asked, so a retry resumes without acting twice; each
passkey-options call issues a fresh single-use challenge)."""


def needs_key(method: str, path: str) -> bool:
    """Whether a route's operation takes an Idempotency-Key."""
    return method == "post" and not path.startswith(NOT_IDEMPOTENT) and not path.endswith(STEP_UP)


METHODS = ("get", "head", "post", "put", "patch", "delete")


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: the document does not depend on the database."""
    return sqlite_url


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def resolve(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/"), ref
    node: Any = spec
    for part in ref[2:].split("/"):
        assert part in node, f"{ref} does not resolve"
        node = node[part]
    assert isinstance(node, dict)
    return node


def test_the_document_is_valid_openapi(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_every_error_response_of_every_route_is_a_problem(spec: dict[str, Any]) -> None:
    problem = resolve(spec, PROBLEM_REF)
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance", "request_id"}
    checked = 0
    for path, method, operation in operations(spec):
        errors = {status: r for status, r in operation["responses"].items() if int(status) >= 400}
        assert errors, (method, path)
        for status, response in errors.items():
            if method == "head":  # a HEAD answer never has a body
                assert "content" not in response, (path, status)
                continue
            problem_only = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}
            assert response["content"] == problem_only, (method, path, status)
            checked += 1
    assert checked > 100
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # FastAPI's 422 is never what we send


def test_limits_headers_and_media_types_are_documented_where_they_apply(spec: dict[str, Any]) -> None:
    headers = spec["components"]["headers"]
    assert {"X-Request-ID", "Idempotent-Replayed", "Retry-After", "WWW-Authenticate"} <= set(headers)
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        assert {"413", "429", "500"} <= set(responses), (method, path)
        assert "Retry-After" in responses["429"]["headers"]
        for response in responses.values():
            assert response["headers"]["X-Request-ID"] == {"$ref": "#/components/headers/X-Request-ID"}
        if "requestBody" in operation:
            assert {"400", "415"} <= set(responses), (method, path)
        idempotent = any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
        assert idempotent == needs_key(method, path), (method, path)
        for status, response in responses.items():
            assert ("Idempotent-Replayed" in response["headers"]) == (idempotent and status.startswith("2"))
        for status in {"401", "403"} & set(responses):
            assert "WWW-Authenticate" in responses[status]["headers"]
    assert "head" in spec["paths"]["/health"]


def _idempotency_key_accepted(key: str) -> bool:
    client = ApiClient("0" * 16, "test", frozenset())
    try:
        asyncio.run(idempotency(None, client, None, key))  # type: ignore[arg-type]
    except IdempotencyKeyMissing:
        return False
    return True


@pytest.mark.parametrize(
    "key", ["a", "x" * 255, "~!#", "order-42:retry", "", "x" * 256, "a b", "tab\t", "\x7f", "clé", "line\n"]
)
def test_the_documented_idempotency_key_pattern_is_the_one_enforced(spec: dict[str, Any], key: str) -> None:
    posts = [operation for path, method, operation in operations(spec) if needs_key(method, path)]
    schemas = [p["schema"] for op in posts for p in op["parameters"] if p["name"] == "Idempotency-Key"]
    assert len(schemas) == len(posts)
    assert all(schema == schemas[0] for schema in schemas)
    ecma_pattern = schemas[0]["pattern"]  # `$` is the end of the string in ECMA-262, `\Z` in Python
    documented = re.search(ecma_pattern.removesuffix("$") + r"\Z", key) is not None
    assert documented == _idempotency_key_accepted(key)


def test_lists_that_must_be_unique_say_so(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for name in ("KeyCreate", "KeyRefresh"):
        participants = schemas[name]["properties"]["participants"]
        (array,) = [option for option in participants["anyOf"] if option.get("type") == "array"]
        assert array["uniqueItems"] is True


@pytest.mark.parametrize(("model", "mode"), [("SignRequestCreate", "Input"), ("SignRequestOut", "Output")])
def test_one_schema_per_intent_type_behind_a_discriminator_that_resolves(
    spec: dict[str, Any], model: str, mode: str
) -> None:
    intent = spec["components"]["schemas"][model]["properties"]["intent"]
    discriminator = intent["discriminator"]
    assert discriminator["propertyName"] == "primary_type"
    assert set(discriminator["mapping"]) == set(INTENT_TYPES)
    assert sorted(option["$ref"] for option in intent["oneOf"]) == sorted(discriminator["mapping"].values())
    for primary_type, ref in discriminator["mapping"].items():
        typed = resolve(spec, ref)
        assert ref.endswith(f"/{primary_type}Intent-{mode}")
        assert typed["properties"]["primary_type"]["const"] == primary_type
        assert typed["additionalProperties"] is False
        message = resolve(spec, typed["properties"]["message"]["$ref"])
        (fields,) = INTENT_TYPES[primary_type].eip712_types().values()
        assert list(message["properties"]) == [name for name, _ in fields]
        assert set(message["required"]) == set(message["properties"])
        for name, solidity_type in fields:
            schema = message["properties"][name]
            if solidity_type == "uint256":
                strings = schema if mode == "Output" else schema["anyOf"][0]
                assert (strings["type"], strings["pattern"]) == ("string", "^(0|[1-9][0-9]{0,77})$")
                if mode == "Input":
                    assert schema["anyOf"][1]["type"] == "integer"
                    assert schema["anyOf"][1]["deprecated"] is True
            elif solidity_type.startswith("uint"):
                assert schema["type"] == "integer"


def test_the_description_states_how_integers_travel(spec: dict[str, Any]) -> None:
    assert "decimal digits" in spec["info"]["description"]
    assert "Deprecated" in spec["info"]["description"]
