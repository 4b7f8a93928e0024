"""The signing routes: ``POST /v1/sign/round1`` and ``POST /v1/sign/round2``, for the coordinator only.

These two routes carry every signature, so they are served as plain ASGI in front of the node's FastAPI app
(`SigningRoutes`), which gets every other request and the lifespan: at signing rates the framework's
middleware layers, dependency solving, response-model re-validation and thread hop cost the node more CPU
than the signing itself (see ``docs/benchmarks.md``). The checks are the framework routes' own: the caller
must be the coordinator (`custody.node.http.peer.check_coordinator`, refusals of other group members audited),
the body is validated strictly by the same pydantic models (`custody.protocol.signing`), and every refusal is
the same RFC 9457 problem document (`custody.node.http.problems.NODE_PROBLEMS`): 400 malformed, 403 policy or
wrong peer, 404 unknown key or session, 409 replay or conflict, 413 a body over `MAX_BODY_BYTES`, 405
another method. The signing service (`custody.node.signing.service.SigningService`) runs in a worker
thread, so a node's fsyncs never stall its event loop.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any, Final

from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from custody.http_body import BodyTooLarge, ClientGone, read_body
from custody.node.http.peer import is_coordinator, refuse_peer, tls_common_name
from custody.node.http.problems import NODE_PROBLEMS
from custody.node.runtime import NodeRuntime
from custody.problems import PROBLEM_JSON
from custody.protocol.errors import NodeError
from custody.protocol.signing import Round1Request, Round2Request

ROUND1_PATH: Final = "/v1/sign/round1"
ROUND2_PATH: Final = "/v1/sign/round2"
MAX_BODY_BYTES: Final = 1 << 20
"""A round-two body of the largest group (64 signers) is some 10 KiB; a megabyte is a misbehaving client."""

_JSON: Final = b"application/json"


class SigningRoutes:
    """ASGI: serves the two signing routes over `runtime`'s signing service and passes the rest to `app`."""

    def __init__(self, app: ASGIApp, runtime: NodeRuntime) -> None:
        self.app = app
        self.runtime = runtime
        self._routes: dict[str, tuple[type[BaseModel], Callable[[Any, str], BaseModel]]] = {
            ROUND1_PATH: (Round1Request, runtime.signing.round1),
            ROUND2_PATH: (Round2Request, runtime.signing.round2),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._routes.get(scope["path"]) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if scope["method"] != "POST":
            await _send_json(
                send,
                HTTPStatus.METHOD_NOT_ALLOWED,
                NODE_PROBLEMS.status_body(path, HTTPStatus.METHOD_NOT_ALLOWED, "use POST"),
                PROBLEM_JSON,
                extra_headers=[(b"allow", b"POST")],
            )
            return
        model, handler = route
        try:
            status, body, media_type = await self._handle(scope, receive, path, model, handler)
        except ClientGone:
            return
        except Exception as error:  # a bug or a broken node: the details go to the log only
            body = NODE_PROBLEMS.unexpected("POST", path, error)
            status, media_type = HTTPStatus.INTERNAL_SERVER_ERROR, PROBLEM_JSON
        await _send_json(send, status, body, media_type)

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        path: str,
        model: type[BaseModel],
        handler: Callable[[Any, str], BaseModel],
    ) -> tuple[int, dict[str, Any] | BaseModel, str]:
        loop = asyncio.get_running_loop()
        try:
            common_name = tls_common_name(scope)
            if not is_coordinator(self.runtime, scope, common_name):
                raise await loop.run_in_executor(None, refuse_peer, self.runtime, common_name, f"POST {path}")
            try:
                raw = await read_body(receive, MAX_BODY_BYTES)
            except BodyTooLarge:
                problem = NODE_PROBLEMS.status_body(
                    path, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"a body is at most {MAX_BODY_BYTES} bytes"
                )
                return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, problem, PROBLEM_JSON
            try:
                request = model.model_validate_json(raw)
            except ValidationError as error:
                errors = [
                    {**detail, "loc": ("body", *detail["loc"])}
                    for detail in error.errors(include_url=False, include_input=False)
                ]
                return HTTPStatus.BAD_REQUEST, NODE_PROBLEMS.validation_body(path, errors), PROBLEM_JSON
            answer = await loop.run_in_executor(None, handler, request, common_name)
        except NodeError as refusal:
            return refusal.status, NODE_PROBLEMS.error_body(path, refusal), PROBLEM_JSON
        return HTTPStatus.OK, answer, _JSON.decode()


async def _send_json(
    send: Callable[[dict[str, Any]], Awaitable[None]],
    status: int,
    body: dict[str, Any] | BaseModel,
    media_type: str,
    *,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    content = body.model_dump_json().encode() if isinstance(body, BaseModel) else _dump(body)
    headers = [(b"content-type", media_type.encode()), (b"content-length", str(len(content)).encode())]
    await send(
        {"type": "http.response.start", "status": int(status), "headers": headers + (extra_headers or [])}
    )
    await send({"type": "http.response.body", "body": content})


def _dump(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
