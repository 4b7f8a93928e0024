"""The API's ASGI middleware, outermost first: request context, client-address rate limit, body size limit.

`RequestContextMiddleware` gives every request its id, its access-log line, the security headers and the
last-resort 500. A caller's `X-Request-ID` is kept when it is a short token of safe characters (so it can be
logged and echoed without escaping), otherwise a fresh one is made. The id is echoed on every response,
including the 500 this middleware answers when a route raises something unexpected: it sits outside
FastAPI's exception handling, so the error response still carries the id that the logged traceback carries.
Every response says ``X-Content-Type-Options: nosniff``; every answer to a request that carried credentials
says ``Cache-Control: no-store``, so no cache along the way keeps a custody answer.

`RateLimitMiddleware` and `BodySizeLimitMiddleware` refuse (429, 413) before the app runs: before the body
is read, before authentication looks at the database. Both answer with the app's problem documents.
"""

import asyncio
import logging
import re
import time
import uuid
from typing import Final

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import API_PROBLEMS, ApiError
from api.logs import request_id_var
from api.ratelimit import Bucket, RateLimited, RateLimiter
from custody.http_body import BodyTooLarge, ClientGone, read_body

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
HEALTH_PATH: Final = "/health"

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
        credentials = "authorization" in Headers(scope=scope)

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                headers["X-Content-Type-Options"] = "nosniff"
                if credentials:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            error_log.exception("unhandled error", extra={"method": scope["method"], "path": scope["path"]})
            if status:  # the response already started: all we can do is drop the connection
                raise
            await API_PROBLEMS.internal_response(Request(scope))(scope, receive, send_with_request_id)
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


async def _refuse(error: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
    await API_PROBLEMS.error_response(Request(scope), error)(scope, receive, send)


class RateLimitMiddleware:
    """A token bucket per client address (`/health` has buckets of its own); 429 with Retry-After.

    The limiter is the app's (`app.state.rate_limiter`, opened by the lifespan); without one, or when
    `bucket` is None, requests pass."""

    def __init__(self, app: ASGIApp, bucket: Bucket | None) -> None:
        self.app = app
        self.bucket = bucket

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter: RateLimiter | None = getattr(scope["app"].state, "rate_limiter", None)
        if scope["type"] != "http" or self.bucket is None or limiter is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else "unknown"
        kind = "health" if scope["path"] == HEALTH_PATH else "address"
        wait = await limiter.take(f"{kind}:{address}", self.bucket)
        if wait > 0:
            error = RateLimited(f"too many requests from {address}; retry after the Retry-After delay", wait)
            await _refuse(error, scope, receive, send)
            return
        await self.app(scope, receive, send)


class PayloadTooLarge(ApiError, status=413, problem="payload-too-large", title="Request body too large"):
    """The request body is larger than the server takes."""


class RequestTimeout(ApiError, status=408, problem="request-timeout", title="Request body too slow"):
    """The request body did not arrive whole in time."""


class BodySizeLimitMiddleware:
    """413 for a body over `max_bytes`: at once from its Content-Length, or as soon as a chunked body
    passes the limit; 408 for a body not received whole within `read_timeout` seconds (a client trickling
    bytes would otherwise hold its connection and buffer open for ever). The body is read (up to the limit)
    before the app runs and handed to it whole, so nothing in the app, authentication included, ever sees a
    byte of an oversized body."""

    def __init__(self, app: ASGIApp, max_bytes: int, read_timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout = read_timeout

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"the request body exceeds {self.max_bytes} bytes", max_bytes=self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _refuse(self._too_large(), scope, receive, send)
            return
        try:
            async with asyncio.timeout(self.read_timeout):
                whole = await read_body(receive, self.max_bytes)
        except TimeoutError:
            slow = RequestTimeout(f"the request body did not arrive within {self.read_timeout:g} seconds")
            await _refuse(slow, scope, receive, send)
            return
        except ClientGone:  # the client went away before sending it all
            return
        except BodyTooLarge:
            await _refuse(self._too_large(), scope, receive, send)
            return
        body: Message | None = {"type": "http.request", "body": whole, "more_body": False}

        async def replay() -> Message:
            nonlocal body
            if body is not None:
                message, body = body, None
                return message
            return await receive()

        await self.app(scope, replay, send)
