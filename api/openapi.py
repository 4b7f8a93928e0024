"""The OpenAPI document, completed with what the server enforces outside the routes' signatures.

FastAPI describes each route from its parameters and models. Middleware and error handlers act on every
route without appearing there, so `complete_openapi` adds what they do, once, for every operation:

- every error response is a `Problem` (RFC 9457, `application/problem+json`): FastAPI's own 422 schema
  (`HTTPValidationError`, `application/json`) is never what the server sends; a HEAD answer has no body;
- every response carries `X-Request-ID`; a 429 carries `Retry-After`, a 401 or 403 `WWW-Authenticate`, and
  the success of an idempotent POST `Idempotent-Replayed` when it is a replay;
- every operation can answer 413 (a body over the size limit, refused before any route runs), 429 (a
  client address or API key over its rate) and 500; every operation that takes a JSON body 400 (malformed
  JSON) and 415 (another media type);
- component schemas nothing refers to are dropped, and `info.description` states how integers travel.

The tests walk the finished document (`tests/api/test_openapi.py`) and validate it as OpenAPI 3.1.
"""

from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI

from api.errors import PROBLEM_JSON, PROBLEM_SCHEMA_REF, Problem, problem_doc
from api.idempotency.store import HEADER as IDEMPOTENCY_HEADER
from api.idempotency.store import REPLAYED_HEADER
from api.middleware import REQUEST_ID_HEADER, REQUEST_ID_PATTERN
from api.schemas import DECIMAL_PATTERN

RETRY_AFTER_HEADER: Final = "Retry-After"
AUTHENTICATE_HEADER: Final = "WWW-Authenticate"
METHODS: Final = ("get", "head", "post", "put", "patch", "delete")

HEADERS: Final[dict[str, dict[str, Any]]] = {
    REQUEST_ID_HEADER: {
        "description": "The request's id: the caller's own `X-Request-ID` if it matches this pattern, else a "
        "new one. Problem documents carry it as `request_id`, and so do the server's log lines.",
        "schema": {"type": "string", "pattern": f"^{REQUEST_ID_PATTERN.pattern}$"},
    },
    REPLAYED_HEADER: {
        "description": "`true` when this is the stored answer to an earlier request with the same "
        "Idempotency-Key and body; absent on a first answer.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    RETRY_AFTER_HEADER: {
        "description": "Whole seconds until the rate limit lets a request through again.",
        "schema": {"type": "integer", "minimum": 1},
    },
    AUTHENTICATE_HEADER: {
        "description": "The Bearer challenge (RFC 6750); `error` says why the key was refused.",
        "schema": {"type": "string"},
    },
}
ERROR_HEADERS: Final[dict[str, list[str]]] = {
    "401": [AUTHENTICATE_HEADER],
    "403": [AUTHENTICATE_HEADER],
    "429": [RETRY_AFTER_HEADER],
}
EVERY_ROUTE: Final[dict[int, str]] = {
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "The body is over the server's size limit (refused unread).",
    HTTPStatus.TOO_MANY_REQUESTS: "Over the rate limit of the client address (or, authenticated, of the API "
    "key); `Retry-After` says when to try again.",
    HTTPStatus.INTERNAL_SERVER_ERROR: "The server failed; only the request id is given: quote it.",
}
JSON_BODY_ROUTE: Final[dict[int, str]] = {
    HTTPStatus.BAD_REQUEST: "The body is not valid JSON (`malformed-json`).",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "The body is not sent as `application/json`.",
}
INTEGERS: Final = f"""
## Integers

Every value typed `uint256` on-chain (ids, token amounts, nonces, deadlines, totals, fees, periods, and chain
ids) is a JSON string of decimal digits, matching `{DECIMAL_PATTERN}` and at most 2^256 - 1: JavaScript
would round it as a number. Narrower values (uint8 to uint64 fields, block numbers, timestamps) are numbers.
The server always sends strings. **Deprecated:** for this release it still accepts a JSON number where a
uint256 string is asked for; send strings. The ledger's amounts (integers in minor units) and ids are
signed 64-bit and decimal strings too, and there a JSON number is refused outright.
"""


def _is_error(status: str) -> bool:
    return status == "default" or not status[0].isdigit() or int(status[0]) >= 4


def _header_refs(*names: str) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _takes_json(operation: dict[str, Any]) -> bool:
    return "application/json" in operation.get("requestBody", {}).get("content", {})


def _is_idempotent_post(operation: dict[str, Any]) -> bool:
    return any(parameter.get("name") == IDEMPOTENCY_HEADER for parameter in operation.get("parameters", []))


def _add_responses(operation: dict[str, Any], added: dict[int, str]) -> None:
    responses: dict[str, Any] = operation["responses"]
    for status, description in added.items():
        if str(status) in responses:
            responses[str(status)]["description"] += f" Or: {description}"
        else:
            responses[str(status)] = problem_doc(description)


def _complete_operation(method: str, operation: dict[str, Any]) -> None:
    _add_responses(operation, EVERY_ROUTE)
    if _takes_json(operation):
        _add_responses(operation, JSON_BODY_ROUTE)
    replayable = _is_idempotent_post(operation)
    for status, response in operation["responses"].items():
        headers = [REQUEST_ID_HEADER]
        if _is_error(status):
            response["content"] = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}}
            headers += ERROR_HEADERS.get(status, [])
        elif replayable:
            headers.append(REPLAYED_HEADER)
        if method == "head":  # the GET's status and headers, never a body
            response.pop("content", None)
        response.setdefault("headers", {}).update(_header_refs(*headers))


def _referenced(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/components/schemas/"):
                found.add(value.rsplit("/", 1)[1])
            else:
                _referenced(value, found)
    elif isinstance(node, list):
        for item in node:
            _referenced(item, found)


def _drop_unreferenced(spec: dict[str, Any]) -> None:
    schemas: dict[str, Any] = spec["components"]["schemas"]
    while True:
        found: set[str] = set()
        _referenced({"paths": spec["paths"], "schemas": schemas}, found)
        unused = set(schemas) - found
        if not unused:
            return
        for name in unused:
            del schemas[name]


def complete_openapi(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` (FastAPI's document) completed in place with what the server enforces everywhere."""
    components = spec.setdefault("components", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = components.setdefault("schemas", {})
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    components["headers"] = HEADERS
    for path_item in spec["paths"].values():
        for method in METHODS:
            if method in path_item:
                _complete_operation(method, path_item[method])
    _drop_unreferenced(spec)
    spec["info"]["description"] = spec["info"].get("description", "") + INTEGERS
    return spec


def install_openapi(app: FastAPI) -> None:
    """Serve the completed document at the app's OpenAPI route (built once, on first request)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            complete_openapi(generate())
        return generate()

    app.openapi = openapi  # type: ignore[method-assign]
