"""The node's one mapping from errors to RFC 9457 problem documents (`application/problem+json`).

`NodeError` subclasses carry their own status and problem type; a body that does not validate is a 400
``malformed-request`` listing the bad fields (never their values); an unknown route or method keeps its
HTTP status. Anything else is a bug or a broken node and answers a bare 500: its message may name files or
records, so it goes to the node's log only.
"""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from custody.node.errors import PROBLEM_TYPE_PREFIX, MalformedRequest, NodeError

PROBLEM_JSON = "application/problem+json"

log = logging.getLogger("custody.node")


def problem_response(
    request: Request, status: int, problem_type: str, title: str, detail: str, **extensions: Any
) -> JSONResponse:
    """A problem document about `request`."""
    body = {
        "type": problem_type,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extensions,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


async def _node_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NodeError)
    return problem_response(request, exc.status, exc.problem_type(), exc.title, exc.detail, **exc.extensions)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
        for error in exc.errors()
    ]
    fields = ", ".join(sorted({error["field"] for error in errors}))
    return problem_response(
        request,
        HTTPStatus.BAD_REQUEST,
        MalformedRequest.problem_type(),
        MalformedRequest.title,
        f"invalid value for: {fields}",
        errors=errors,
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
    return problem_response(
        request,
        HTTPStatus.INTERNAL_SERVER_ERROR,
        NodeError.problem_type(),
        NodeError.title,
        "the node failed to handle the request; see its log",
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error class to its problem response, once, for the whole app."""
    app.add_exception_handler(NodeError, _node_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)
