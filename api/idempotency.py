"""Idempotency keys with Stripe's semantics, for any POST route: retry safely, the effect happens once.

A POST route takes `IdempotencyDep` and runs its work through `Idempotency.run`. The caller's
``Idempotency-Key`` header (1-255 printable ASCII characters) is required: 400 naming the header without it.
Keys belong to the caller (the API key), so two callers never collide, and live 24 hours.

- First use: the key is claimed by inserting its row (the primary key (caller, key) is the unique
  constraint, so of two concurrent first uses exactly one insert wins, on SQLite and PostgreSQL alike), the
  work runs, and its response (status and JSON body) is stored with the row.
- Same key, same request (method, path and body, compared by SHA-256 of their canonical form): the stored
  response is replayed as it was, with ``Idempotent-Replayed: true``; the work does not run again.
- Same key, different request: 409. Same key while the first request is still running: 409.

Work that calls out (the custody signer nodes) is split into atomic phases, as in Stripe's design: each
phase's writes commit in one transaction together with the key's new *recovery point* (`Progress.advance`),
and the last phase's writes commit together with the response (`Progress.finish`). A request that fails or
dies after a phase committed leaves its recovery point: the retry with the same key resumes from there (the
work reads `Progress.point` and `Progress.data`), so what was committed is never done a second time. Only
a failure before the first phase committed releases the key, so that a refusal (any `ApiError`, raised
before anything is stored) can be retried afresh; a 4xx/5xx is never replayed from storage.

A claim whose process died holding it (no response after `lock_timeout`) is taken over by the next request
with the same key and body, and resumes; a request that failed with an error after a phase gives its claim
up at once, so its retry resumes without waiting. Everything here runs on the request's own session (the
one authentication used), one short transaction per step, so a request never holds two connections.
"""

import hashlib
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Annotated, Any, Final, TypeVar

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.auth import AuthenticatedClient
from api.deps import SessionDep
from api.errors import ApiError, problem_doc
from api.models import IdempotencyKey
from chain.files import canonical_json

HEADER: Final = "Idempotency-Key"
REPLAYED_HEADER: Final = "Idempotent-Replayed"
KEY_TTL: Final = timedelta(hours=24)
LOCK_TIMEOUT: Final = timedelta(minutes=5)
"""Longer than any request can run (node timeouts bound every custody call), so a claim this old is dead."""
STARTED: Final = "started"
"""The recovery point of a claim whose work has committed nothing yet."""
FINISHED: Final = "finished"
"""The recovery point of a key whose response is stored."""
_KEY_RE: Final = re.compile(r"[\x21-\x7e]{1,255}")
_CLAIM_ATTEMPTS: Final = 3

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
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": f"^{_KEY_RE.pattern}$"},
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

_Row = TypeVar("_Row")
log = logging.getLogger("api.idempotency")


class IdempotencyKeyMissing(ApiError):
    """A POST without a usable Idempotency-Key header."""

    status = HTTPStatus.BAD_REQUEST
    problem = "idempotency-key-missing"
    title = "Idempotency-Key required"


class IdempotencyKeyReused(ApiError):
    """The key was first used for a different request (method, path or body)."""

    status = HTTPStatus.CONFLICT
    problem = "idempotency-key-reused"
    title = "Idempotency-Key used for another request"


class IdempotencyKeyInFlight(ApiError):
    """The key's first request has not finished yet (or its claim was taken over by a retry)."""

    status = HTTPStatus.CONFLICT
    problem = "idempotency-key-in-flight"
    title = "Request with this Idempotency-Key in progress"


@dataclass(frozen=True)
class Claimed:
    """This request holds the key with `token`; its work committed up to `point` (with `data`) before."""

    token: str
    point: str = STARTED
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Stored:
    """The key's first request finished: replay its response."""

    status_code: int
    body: str


def _now() -> datetime:
    return datetime.now(UTC)


def request_fingerprint(method: str, path: str, body: BaseModel | None) -> str:
    """SHA-256 of the method, the path and the canonical JSON of the validated body."""
    payload = None if body is None else body.model_dump(mode="json")
    return hashlib.sha256(canonical_json([method, path, payload])).hexdigest()


def claim(
    session: Session,
    principal: str,
    key: str,
    fingerprint: str,
    path: str,
    lock_timeout: timedelta = LOCK_TIMEOUT,
) -> Claimed | Stored:
    """Take `key` for this request, or say what became of its first use (`Stored`, or a 409 raised)."""
    for _ in range(_CLAIM_ATTEMPTS):
        now = _now()
        token = secrets.token_hex(16)
        session.add(
            IdempotencyKey(
                principal=principal,
                key=key,
                request_sha256=fingerprint,
                request_path=path,
                claim_token=token,
                locked_at=now,
                status_code=None,
                response_body=None,
                created_at=now,
                expires_at=now + KEY_TTL,
                recovery_point=STARTED,
                recovery_data={},
            )
        )
        try:
            session.commit()
            return Claimed(token)
        except IntegrityError:
            session.rollback()
        outcome = _existing(session, principal, key, fingerprint, now, lock_timeout)
        if outcome is not None:
            return outcome
    raise IdempotencyKeyInFlight(f"the {HEADER} {key!r} is contended; retry")


def _in_flight(key: str) -> IdempotencyKeyInFlight:
    return IdempotencyKeyInFlight(f"a request with the {HEADER} {key!r} is still running; retry later")


def _existing(
    session: Session, principal: str, key: str, fingerprint: str, now: datetime, lock_timeout: timedelta
) -> Claimed | Stored | None:
    """What the key's existing row means for this request; None when the row is gone (claim again)."""
    try:
        row = session.get(IdempotencyKey, (principal, key), populate_existing=True)
        if row is None:
            return None
        if row.expires_at <= now:
            session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.principal == principal,
                    IdempotencyKey.key == key,
                    IdempotencyKey.created_at == row.created_at,
                )
            )
            session.commit()
            return None
        if row.request_sha256 != fingerprint:
            raise IdempotencyKeyReused(
                f"the {HEADER} {key!r} was used for another request (first for POST {row.request_path}); "
                "use a new key for a new request"
            )
        if row.status_code is not None and row.response_body is not None:
            return Stored(row.status_code, row.response_body)
        if row.claim_token is not None and row.locked_at > now - lock_timeout:
            raise _in_flight(key)
        token = secrets.token_hex(16)
        taken = session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.principal == principal,
                IdempotencyKey.key == key,
                IdempotencyKey.created_at == row.created_at,
                IdempotencyKey.status_code.is_(None),
                IdempotencyKey.recovery_point == row.recovery_point,  # resume from the point read
                IdempotencyKey.claim_token.is_(None)
                if row.claim_token is None
                else IdempotencyKey.claim_token == row.claim_token,
            )
            .values(claim_token=token, locked_at=now)
        )
        session.commit()
    finally:
        if session.in_transaction():
            session.rollback()
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise _in_flight(key)
    return Claimed(token, row.recovery_point, dict(row.recovery_data))


def _key_row(principal: str, key: str, token: str) -> Any:
    """An UPDATE of the key's row, if (and only if) `token` still holds its claim."""
    return update(IdempotencyKey).where(
        IdempotencyKey.principal == principal,
        IdempotencyKey.key == key,
        IdempotencyKey.claim_token == token,
        IdempotencyKey.status_code.is_(None),
    )


def _sweep_expired(session: Session) -> None:
    """Drop every expired key, in a transaction of its own after a response is stored (best effort: a
    failure here must not fail a request whose work is done)."""
    try:
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= _now()))
        session.commit()
    except DBAPIError:
        session.rollback()
        log.warning("sweeping expired idempotency keys failed; the next request will try again")


def release(session: Session, principal: str, key: str, token: str) -> None:
    """Give the key up after the claim `token`'s work failed having committed nothing: a retry runs afresh."""
    session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.principal == principal,
            IdempotencyKey.key == key,
            IdempotencyKey.claim_token == token,
            IdempotencyKey.status_code.is_(None),
            IdempotencyKey.recovery_point == STARTED,
        )
    )
    session.commit()


def unlock(session: Session, principal: str, key: str, token: str) -> None:
    """Give the claim up after its work failed past a recovery point: a retry resumes from there at once."""
    session.execute(_key_row(principal, key, token).values(claim_token=None))
    session.commit()


class ClaimLost(RuntimeError):
    """The claim was taken over by a retry (this request outlived `lock_timeout`): its phase must not
    commit, or the work would be done twice."""


@dataclass
class Progress:
    """How far this request's work has committed, and the means to commit the next phase atomically.

    `advance` and `finish` return hooks for a store function to call inside its transaction, just before
    its commit: the hook writes the key's new recovery point (or the response) in that same transaction, and
    fails it (`ClaimLost`) if this request no longer holds the key.
    """

    session: Session
    principal: str
    key: str
    token: str
    status_code: int
    point: str = STARTED
    data: dict[str, Any] = field(default_factory=dict)
    response_body: str | None = None

    @property
    def resumed(self) -> bool:
        """True when an earlier request with this key committed a phase and this one carries on from it."""
        return self.point != STARTED

    def _write(self, **values: Any) -> None:
        written = self.session.execute(_key_row(self.principal, self.key, self.token).values(**values))
        if written.rowcount != 1:  # type: ignore[attr-defined]
            raise ClaimLost(f"the claim on {HEADER} {self.key!r} was taken over by a retry")

    def advance(self, point: str, **data: Any) -> Callable[[object], None]:
        """A hook that records recovery point `point` (with `data`) in the caller's transaction."""

        def record(_row: object) -> None:
            # Each phase also renews the claim's lease: a request that is making progress is never taken
            # over by a retry (which would throw its finished work away) however long it has run.
            self._write(recovery_point=point, recovery_data=data, locked_at=_now())
            self.point, self.data = point, data

        return record

    def save(self, point: str, **data: Any) -> None:
        """Commit recovery point `point` on its own (a phase whose only write is the decision it took)."""
        self.advance(point, **data)(None)
        self.session.commit()

    def finish(self, view: Callable[[_Row], BaseModel]) -> Callable[[_Row], None]:
        """A hook that stores the response, `view` of the row the caller's transaction wrote, in that
        transaction: the work's last writes and its stored response commit together."""

        def record(row: _Row) -> None:
            body = _render(view(row), self.status_code)
            self._write(
                status_code=self.status_code, response_body=body, claim_token=None, recovery_point=FINISHED
            )
            self.response_body, self.point = body, FINISHED

        return record

    def respond(self, result: BaseModel) -> None:
        """Store `result` as the response in a transaction of its own (work whose writes are all done)."""
        self.finish(lambda _: result)(None)
        self.session.commit()


def _render(result: BaseModel, status_code: int) -> str:
    return bytes(JSONResponse(result.model_dump(mode="json"), status_code=status_code).body).decode()


@dataclass(frozen=True)
class Idempotency:
    """One POST's idempotency key, for its caller, on the request's session; `run` the route's work."""

    request: Request
    session: Session
    principal: str
    key: str

    async def run(
        self, work: Callable[[Progress], Awaitable[BaseModel]], *, body: BaseModel | None, status_code: int
    ) -> Response:
        """The stored response if this key already served this request, else `work`'s (stored)."""
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
        await run_in_threadpool(_sweep_expired, self.session)
        return Response(progress.response_body, status_code=status_code, media_type="application/json")


def _end_and_then(session: Session, then: Callable[[Session, str, str, str], None], *args: str) -> None:
    """Roll back whatever the failed work left open, then `then` in a fresh transaction."""
    session.rollback()
    then(session, *args)


async def idempotency(
    request: Request,
    client: AuthenticatedClient,
    session: SessionDep,
    key: Annotated[str | None, Header(alias=HEADER, include_in_schema=False)] = None,
) -> Idempotency:
    """The request's idempotency key, scoped to the calling API key; 400 when it is missing or malformed."""
    if key is None or not _KEY_RE.fullmatch(key):
        raise IdempotencyKeyMissing(
            f"this POST needs an {HEADER} header: 1-255 printable ASCII characters, unique per operation",
            header=HEADER,
        )
    return Idempotency(request, session, client.key_id, key)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
