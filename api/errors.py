"""The API's exceptions and their one mapping to RFC 9457 problem responses (`application/problem+json`).

Services raise `ApiError` subclasses; `install_error_handlers` turns them, FastAPI's validation errors and
Starlette's HTTP errors into problem documents. Anything else is a bug: `internal_error_response` answers a
500 that names only the request id, never the exception, and the traceback goes to the log.

A body is a problem of its own before it is a value: one that is not JSON at all is a 400 `malformed-json`
(where the parser stopped is said in `detail`, not passed off as a field), and one sent as another media type
than JSON to a route that takes JSON is a 415, never a 422 about the fields it could not have.
"""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.logs import request_id_var

PROBLEM_JSON = "application/problem+json"
PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"


class FieldError(BaseModel):
    """One invalid field of a request."""

    field: str = Field(description="Where: the parameter's name, or a dotted path into the body.")
    message: str = Field(description="What is wrong with it.")


class Problem(BaseModel):
    """An RFC 9457 problem document: every error the API answers is one (`application/problem+json`)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    type: str = Field(description="`urn:tpwallet:problem:<name>`: what kind of problem, for programs.")
    title: str = Field(description="A short summary of the problem type, for people.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What happened in this case.")
    instance: str = Field(description="The request path.")
    request_id: str = Field(description="The `X-Request-ID` of the response: quote it when reporting.")
    errors: list[FieldError] | None = Field(
        default=None, description="For a 422: each invalid field, named by its location."
    )


def problem_doc(description: str) -> dict[str, Any]:
    """An OpenAPI `responses` entry: an RFC 9457 problem document, with what the status means here."""
    return {"description": description, "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}}}


PROBLEM_TYPE_PREFIX = "urn:tpwallet:problem:"


class ApiError(Exception):
    """An expected failure of a request; the class says which problem, `detail` says what happened."""

    status: ClassVar[int] = HTTPStatus.INTERNAL_SERVER_ERROR
    problem: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class NotFound(ApiError):
    """The resource named in the path does not exist."""

    status = HTTPStatus.NOT_FOUND
    problem = "not-found"
    title = "Not found"


class UnknownNetwork(NotFound):
    """The path names a network the API does not serve."""

    problem = "unknown-network"
    title = "Unknown network"


class TransactionNotFound(NotFound):
    """The chain has no receipt for the transaction (never sent, still pending, or on another chain)."""

    problem = "transaction-not-found"
    title = "Transaction not found"


class ServiceUnavailable(ApiError):
    """Something the API depends on does not answer; retrying later may succeed."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
    problem = "service-unavailable"
    title = "Service unavailable"


class ChainUnavailable(ServiceUnavailable):
    """A chain's JSON-RPC node did not answer in time or answered nonsense."""

    problem = "chain-unavailable"
    title = "Chain unavailable"


class RegistryMismatch(ServiceUnavailable):
    """The deployments registry was written for another chain than the one the node serves now."""

    problem = "registry-mismatch"
    title = "Deployments registry does not match the chain"


class Unhealthy(ServiceUnavailable):
    """At least one health check failed; the `checks` extension says which."""

    problem = "unhealthy"
    title = "Service unhealthy"


def problem_response(
    request: Request,
    status: int,
    problem: str,
    title: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem document for `request`: `instance` is the request path, `request_id` ties it to the logs."""
    body = {
        "type": PROBLEM_TYPE_PREFIX + problem,
        "title": title,
        "status": int(status),
        "detail": detail,
        "instance": request.url.path,
        "request_id": request_id_var.get(),
        **extensions,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def internal_error_response(request: Request) -> JSONResponse:
    """The answer to an unexpected exception: nothing about it leaves the server but the request id."""
    return problem_response(
        request,
        HTTPStatus.INTERNAL_SERVER_ERROR,
        ApiError.problem,
        ApiError.title,
        "The server failed to handle the request; quote the request id when reporting it.",
    )


def _field_name(location: tuple[int | str, ...]) -> str:
    """`("path", "tx_hash")` -> `tx_hash`; `("body", "items", 0)` -> `items.0`; `("body",)` -> `body`."""
    parts = location[1:] or location
    return ".".join(str(part) for part in parts)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return problem_response(request, exc.status, exc.problem, exc.title, exc.detail, **exc.extensions)


def _malformed_json(request: Request, reason: str) -> JSONResponse:
    return problem_response(
        request,
        HTTPStatus.BAD_REQUEST,
        "malformed-json",
        "Malformed JSON",
        f"the body is not valid JSON: {reason}",
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if isinstance(exc.body, bytes) and exc.body:  # FastAPI parses JSON only when the content type says JSON
        return problem_response(
            request,
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "this route takes a JSON body: send it with Content-Type: application/json",
        )
    malformed = [error for error in exc.errors() if error["type"] == "json_invalid"]
    if malformed:
        reason = malformed[0].get("ctx", {}).get("error", "unreadable")
        return _malformed_json(request, f"{reason} at character {malformed[0]['loc'][-1]}")
    errors = [{"field": _field_name(tuple(error["loc"])), "message": error["msg"]} for error in exc.errors()]
    fields = ", ".join(sorted({error["field"] for error in errors}))
    return problem_response(
        request,
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "validation-error",
        "Invalid request",
        f"invalid value for: {fields}",
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, UnicodeDecodeError):  # FastAPI's 400 for a JSON body that is not UTF-8
        return _malformed_json(request, "not UTF-8")
    status = HTTPStatus(exc.status_code)
    return problem_response(
        request,
        status,
        status.phrase.lower().replace(" ", "-"),
        status.phrase,
        exc.detail if isinstance(exc.detail, str) else status.description,
        headers=exc.headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Map every expected error class to its problem response, once, for the whole app."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
