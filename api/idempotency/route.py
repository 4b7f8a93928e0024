"""The POST route's side of idempotency: the `Idempotency-Key` header, and `Idempotency.run`, which replays a
stored response or runs the route's work under the key's claim."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from typing import Annotated, Any, Final, TypeVar

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.auth import ApiClient, authenticated_client
from api.db import get_session
from api.errors import ApiError, problem_doc
from api.idempotency.progress import Progress, committed
from api.idempotency.store import (
    HEADER,
    KEY_RE,
    REPLAYED_HEADER,
    STARTED,
    Stored,
    SweepSchedule,
    claim,
    release,
    request_fingerprint,
    sweep_expired,
    unlock,
)

_Route = TypeVar("_Route", bound=Callable[..., Any])

OPENAPI_EXTRA: Final[dict[str, Any]] = {
    "parameters": [
        {
            "name": HEADER,
            "in": "header",
            "required": True,
            "description": (
                "A unique key per operation (e.g. a UUID), 1-255 printable ASCII characters. Retrying with "
                "the same key and body replays the first response (header `Idempotent-Replayed: true`) "
                "instead of acting twice; the same key with another body is a 409. Keys last 24 hours."
            ),
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": f"^{KEY_RE.pattern}$"},
        }
    ]
}
"""Pass as a POST route's ``openapi_extra``: the header is read by `idempotency`, which hides it from the
schema because it must answer 400 (not FastAPI's 422) when the header is missing."""

RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    400: problem_doc(f"The `{HEADER}` header is missing or malformed."),
    409: problem_doc(f"The `{HEADER}` was used for another request, or its first request is still running."),
}
"""Pass as (part of) a POST route's ``responses``."""


def idempotent_post(
    router: APIRouter,
    path: str,
    response_model: type[BaseModel],
    summary: str,
    responses: dict[int | str, dict[str, Any]],
    status_code: int = HTTPStatus.OK,
) -> Callable[[_Route], _Route]:
    """`router.post` for a route that needs an `Idempotency-Key` (documented here, read by `idempotency`),
    answering `responses` besides this module's `RESPONSES`."""
    return router.post(
        path,
        status_code=status_code,
        response_model=response_model,
        summary=summary,
        openapi_extra=OPENAPI_EXTRA,
        responses={**RESPONSES, **responses},
    )


def idempotent_posts(
    router: APIRouter, base_responses: dict[int | str, dict[str, Any]], default_status: int = HTTPStatus.OK
) -> Callable[..., Callable[[_Route], _Route]]:
    """One router's POST decorator: each route answers `base_responses` (the router's auth and conflict
    problems) besides its own, with `default_status` unless it says otherwise."""

    def post(
        path: str,
        response_model: type[BaseModel],
        summary: str,
        responses: dict[int | str, dict[str, Any]] | None = None,
        *,
        status_code: int = default_status,
    ) -> Callable[[_Route], _Route]:
        merged = {**base_responses, **(responses or {})}
        return idempotent_post(router, path, response_model, summary, merged, status_code)

    return post


class IdempotencyKeyMissing(
    ApiError, status=400, problem="idempotency-key-missing", title="Idempotency-Key required"
):
    """A POST without a usable Idempotency-Key header."""


@dataclass(frozen=True)
class Idempotency:
    """One POST's idempotency key, for its caller, on the request's session; `run` the route's work."""

    request: Request
    session: Session
    principal: str
    key: str

    async def committed(
        self, work: Callable[[Connection], BaseModel], *, body: BaseModel | None, status_code: int
    ) -> Response:
        """`run` of `work` on the request session's transaction, in a worker thread, its answer stored and
        committed with its writes (`progress.committed`)."""
        return await self.run(
            lambda progress: run_in_threadpool(committed, self.session, progress, work),
            body=body,
            status_code=status_code,
        )

    async def run(
        self,
        work: Callable[[Progress], Awaitable[BaseModel]],
        *,
        body: BaseModel | None,
        status_code: int,
        shown_once: bool = False,
    ) -> Response:
        """The stored response if this key already served this request, else `work`'s (stored).

        With `shown_once`, `work`'s result holds a secret shown this once (a new API key's token): `work`
        stores a redacted view through `Progress.finish`, the first answer is the result itself, and a
        replay gets the redacted view, so no secret is ever kept with the idempotency key."""
        path = self.request.url.path
        fingerprint = request_fingerprint(self.request.method, path, body)
        lock_timeout = timedelta(seconds=self.request.app.state.settings.idempotency_lock_timeout_seconds)
        outcome = await run_in_threadpool(
            claim, self.session, self.principal, self.key, fingerprint, path, lock_timeout
        )
        if isinstance(outcome, Stored):
            return Response(
                outcome.body,
                status_code=outcome.status_code,
                media_type="application/json",
                headers={REPLAYED_HEADER: "true"},
            )
        progress = Progress(
            self.session, self.principal, self.key, outcome.token, status_code, outcome.point, outcome.data
        )
        try:
            result = await work(progress)
            if progress.response_body is None:
                await run_in_threadpool(progress.respond, result)
        except (
            Exception
        ):  # a cancelled request keeps its claim until `lock_timeout`: its phase may be running
            give_up = release if progress.point == STARTED else unlock
            await run_in_threadpool(
                _end_and_then, self.session, give_up, self.principal, self.key, outcome.token
            )
            raise
        assert progress.response_body is not None
        if _sweeps(self.request).due():
            await run_in_threadpool(sweep_expired, self.session)
        if shown_once:
            return JSONResponse(result.model_dump(mode="json"), status_code=status_code)
        return Response(progress.response_body, status_code=status_code, media_type="application/json")


def _sweeps(request: Request) -> SweepSchedule:
    """The app's sweep schedule, made by the first request that finishes (apps made in tests included)."""
    state = request.app.state
    schedule: SweepSchedule | None = getattr(state, "idempotency_sweeps", None)
    if schedule is None:
        schedule = state.idempotency_sweeps = SweepSchedule(state.settings.idempotency_sweep_interval_seconds)
    return schedule


def _end_and_then(session: Session, then: Callable[[Session, str, str, str], None], *args: str) -> None:
    """Roll back whatever the failed work left open, then `then` in a fresh transaction."""
    session.rollback()
    then(session, *args)


async def idempotency(
    request: Request,
    client: Annotated[ApiClient, Depends(authenticated_client)],
    session: Annotated[Session, Depends(get_session)],
    key: Annotated[str | None, Header(alias=HEADER, include_in_schema=False)] = None,
) -> Idempotency:
    """The request's idempotency key, scoped to the calling API key; 400 when it is missing or malformed."""
    return idempotency_for(request, session, client.key_id, key)


def idempotency_for(request: Request, session: Session, principal: str, key: str | None) -> Idempotency:
    """`key` (the header's value) claimed for `principal`, for callers that are not an API key (a customer
    session); 400 when it is missing or malformed."""
    if key is None or not KEY_RE.fullmatch(key):
        raise IdempotencyKeyMissing(
            f"this POST needs an {HEADER} header: 1-255 printable ASCII characters, unique per operation",
            header=HEADER,
        )
    return Idempotency(request, session, principal, key)
