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

Only successful responses are stored. Routes raise their refusals (any `ApiError` or HTTP error) before
their work has an effect, so on an exception the claim is released and a retry with the same key runs
again (after, say, the missing custody key was created); a 4xx/5xx is never replayed from storage. A claim
whose process died holding it (no response after `LOCK_TIMEOUT`) is taken over by the next request with the
same key and body; a request cancelled mid-work keeps its claim until then, as its work may have begun.
"""

import hashlib
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api.auth import AuthenticatedClient
from api.errors import ApiError, problem_doc
from api.models import IdempotencyKey

HEADER: Final = "Idempotency-Key"
REPLAYED_HEADER: Final = "Idempotent-Replayed"
KEY_TTL: Final = timedelta(hours=24)
LOCK_TIMEOUT: Final = timedelta(minutes=5)
"""Longer than any request can run (node timeouts bound every custody call), so a claim this old is dead."""
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
    """The key's first request has not finished yet."""

    status = HTTPStatus.CONFLICT
    problem = "idempotency-key-in-flight"
    title = "Request with this Idempotency-Key in progress"


@dataclass(frozen=True)
class Claimed:
    """This request holds the key: run the work, then `complete` (or `release`) with `token`."""

    token: str


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
    canonical = json.dumps([method, path, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(
    session_factory: sessionmaker[Session], principal: str, key: str, fingerprint: str, path: str
) -> Claimed | Stored:
    """Take `key` for this request, or say what became of its first use (`Stored`, or a 409 raised)."""
    for _ in range(_CLAIM_ATTEMPTS):
        now = _now()
        token = secrets.token_hex(16)
        with session_factory() as session:
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
                )
            )
            try:
                session.commit()
                return Claimed(token)
            except IntegrityError:
                session.rollback()
            outcome = _existing(session, principal, key, fingerprint, now)
        if outcome is not None:
            return outcome
    raise IdempotencyKeyInFlight(f"the {HEADER} {key!r} is contended; retry")


def _existing(
    session: Session, principal: str, key: str, fingerprint: str, now: datetime
) -> Claimed | Stored | None:
    """What the key's existing row means for this request; None when the row is gone (claim again)."""
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
    if row.locked_at > now - LOCK_TIMEOUT:
        raise IdempotencyKeyInFlight(f"a request with the {HEADER} {key!r} is still running; retry later")
    token = secrets.token_hex(16)
    taken = session.execute(
        update(IdempotencyKey)
        .where(
            IdempotencyKey.principal == principal,
            IdempotencyKey.key == key,
            IdempotencyKey.claim_token == row.claim_token,
            IdempotencyKey.status_code.is_(None),
        )
        .values(claim_token=token, locked_at=now)
    )
    session.commit()
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise IdempotencyKeyInFlight(f"a request with the {HEADER} {key!r} is still running; retry later")
    return Claimed(token)


def complete(
    session_factory: sessionmaker[Session], principal: str, key: str, token: str, status_code: int, body: str
) -> None:
    """Store the response of the claim `token`, and drop every expired key while at it."""
    now = _now()
    with session_factory() as session:
        session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.principal == principal,
                IdempotencyKey.key == key,
                IdempotencyKey.claim_token == token,
            )
            .values(status_code=status_code, response_body=body, claim_token=None)
        )
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
        session.commit()


def release(session_factory: sessionmaker[Session], principal: str, key: str, token: str) -> None:
    """Give the key up after the claim `token`'s work failed, so a retry runs afresh."""
    with session_factory() as session:
        session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.principal == principal,
                IdempotencyKey.key == key,
                IdempotencyKey.claim_token == token,
                IdempotencyKey.status_code.is_(None),
            )
        )
        session.commit()


@dataclass(frozen=True)
class Idempotency:
    """One POST's idempotency key, for its caller; `run` the route's work through it."""

    request: Request
    principal: str
    key: str

    async def run(
        self, work: Callable[[], Awaitable[BaseModel]], *, body: BaseModel | None, status_code: int
    ) -> Response:
        """The stored response if this key already served this request, else `work`'s result (stored)."""
        session_factory: sessionmaker[Session] = self.request.app.state.session_factory
        path = self.request.url.path
        fingerprint = request_fingerprint(self.request.method, path, body)
        outcome = await run_in_threadpool(claim, session_factory, self.principal, self.key, fingerprint, path)
        if isinstance(outcome, Stored):
            return Response(
                outcome.body,
                status_code=outcome.status_code,
                media_type="application/json",
                headers={REPLAYED_HEADER: "true"},
            )
        try:
            result = await work()
        except Exception:
            await run_in_threadpool(release, session_factory, self.principal, self.key, outcome.token)
            raise
        response = JSONResponse(result.model_dump(mode="json"), status_code=status_code)
        await run_in_threadpool(
            complete,
            session_factory,
            self.principal,
            self.key,
            outcome.token,
            status_code,
            bytes(response.body).decode(),
        )
        return response


def idempotency(
    request: Request,
    client: AuthenticatedClient,
    key: Annotated[str | None, Header(alias=HEADER, include_in_schema=False)] = None,
) -> Idempotency:
    """The request's idempotency key, scoped to the calling API key; 400 when it is missing or malformed."""
    if key is None or not _KEY_RE.fullmatch(key):
        raise IdempotencyKeyMissing(
            f"this POST needs an {HEADER} header: 1-255 printable ASCII characters, unique per operation",
            header=HEADER,
        )
    return Idempotency(request, client.key_id, key)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
