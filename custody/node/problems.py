"""The node's one mapping from errors to RFC 9457 problem documents (`application/problem+json`).

`NodeError` subclasses carry their own status and problem type; a body that does not validate is a 400
``malformed-request`` listing the bad fields (never their values); an unknown route or method keeps its
HTTP status. Anything else is a bug or a broken node and answers a bare 500: its message may name files or
records, so it goes to the node's log only.
"""

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from custody.node.errors import PROBLEM_TYPE_PREFIX, MalformedRequest, NodeError

PROBLEM_JSON = "application/problem+json"

log = logging.getLogger("custody.node")


def problem_body(
    path: str, status: int, problem_type: str, title: str, detail: str, **extensions: Any
) -> dict[str, Any]:
    """The problem document about a request for `path`."""
    return {
        "type": problem_type,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": path,
        **extensions,
    }


def problem_response(
    request: Request, status: int, problem_type: str, title: str, detail: str, **extensions: Any
) -> JSONResponse:
    """A problem document about `request`."""
    body = problem_body(request.url.path, status, problem_type, title, detail, **extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def node_error_body(path: str, error: NodeError) -> dict[str, Any]:
    """The problem document of a `NodeError` raised for a request for `path`."""
    return problem_body(
        path, error.status, error.problem_type(), error.title, error.detail, **error.extensions
    )


def validation_error_body(path: str, errors: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The 400 ``malformed-request`` document for a body's validation errors (pydantic's ``errors()``, whose
    locations start with ``body``): every bad field with pydantic's message, never the value."""
    listed = [
        {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]} for error in errors
    ]
    fields = ", ".join(sorted({error["field"] for error in listed}))
    return problem_body(
        path,
        HTTPStatus.BAD_REQUEST,
        MalformedRequest.problem_type(),
        MalformedRequest.title,
        f"invalid value for: {fields}",
        errors=listed,
    )


def internal_error_body(path: str) -> dict[str, Any]:
    """The bare 500 document: what failed goes to the node's log only."""
    return problem_body(
        path,
        HTTPStatus.INTERNAL_SERVER_ERROR,
        NodeError.problem_type(),
        NodeError.title,
        "the node failed to handle the request; see its log",
    )


async def _node_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NodeError)
    return JSONResponse(
        node_error_body(request.url.path, exc), status_code=exc.status, media_type=PROBLEM_JSON
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(
        validation_error_body(request.url.path, exc.errors()),
        status_code=HTTPStatus.BAD_REQUEST,
        media_type=PROBLEM_JSON,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = HTTPStatus(exc.status_code)
    return problem_response(
        request,
        status,
        PROBLEM_TYPE_PREFIX + status.phrase.lower().replace(" ", "-"),
        status.phrase,
        exc.detail if isinstance(exc.detail, str) else status.description,
    )


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("request %s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        internal_error_body(request.url.path),
        status_code=HTTPStatus.INTERNAL_SERVER_ERROR,
        media_type=PROBLEM_JSON,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error class to its problem response, once, for the whole app."""
    app.add_exception_handler(NodeError, _node_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)
