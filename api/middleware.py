"""Request context for every request: its id, its access-log line, and the last-resort 500.

A caller's `X-Request-ID` is kept when it is a short token of safe characters (so it can be logged and echoed
without escaping), otherwise a fresh one is made. The id is echoed on every response, including the 500 this
middleware answers when a route raises something unexpected: it sits outside FastAPI's exception handling, so
the error response still carries the id that the logged traceback carries.
"""

import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import internal_error_response
from api.logs import request_id_var

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")

access_log = logging.getLogger("api.access")
error_log = logging.getLogger("api.errors")


def request_id_from(scope: Scope) -> str:
    """The caller's request id if it is sane, else a new random one."""
    offered = Request(scope).headers.get(REQUEST_ID_HEADER)
    if offered is not None and REQUEST_ID_PATTERN.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware), so context variables reach the route's code."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            error_log.exception("unhandled error", extra={"method": scope["method"], "path": scope["path"]})
            if status:  # the response already started: all we can do is drop the connection
                raise
            await internal_error_response(Request(scope))(scope, receive, send_with_request_id)
        finally:
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)
