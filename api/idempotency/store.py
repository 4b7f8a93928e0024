"""The idempotency keys' rows: claim a key for a request, or find what became of its first use; give it up;
sweep the expired ones. One short transaction per call, on the request's own session."""

import hashlib
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, cast

from pydantic import BaseModel
from sqlalchemy import Table, bindparam, delete, insert, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from api.errors import ApiError
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
KEY_RE: Final = re.compile(r"[\x21-\x7e]{1,255}")
_CLAIM_ATTEMPTS: Final = 3

log = logging.getLogger("api.idempotency")


class IdempotencyKeyReused(
    ApiError, status=409, problem="idempotency-key-reused", title="Idempotency-Key used for another request"
):
    """The key was first used for a different request (method, path or body)."""


class IdempotencyKeyInFlight(
    ApiError,
    status=409,
    problem="idempotency-key-in-flight",
    title="Request with this Idempotency-Key in progress",
):
    """The key's first request has not finished yet (or its claim was taken over by a retry)."""


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


def utc_now() -> datetime:
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
        now = utc_now()
        token = secrets.token_hex(16)
        row = {
            "principal": principal,
            "key": key,
            "request_sha256": fingerprint,
            "request_path": path,
            "claim_token": token,
            "locked_at": now,
            "status_code": None,
            "response_body": None,
            "created_at": now,
            "expires_at": now + KEY_TTL,
            "recovery_point": STARTED,
            "recovery_data": {},
        }
        try:
            session.execute(_CLAIM, row)
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


_KEYS: Final = cast(Table, IdempotencyKey.__table__)
_CLAIM: Final = insert(_KEYS)
"""The claim's INSERT, built once: building it per request (the ORM's unit of work, or `.values()`) cost more
CPU than running it."""
_HOLDER: Final = update(_KEYS).where(
    IdempotencyKey.principal == bindparam("held_principal"),
    IdempotencyKey.key == bindparam("held_key"),
    IdempotencyKey.claim_token == bindparam("held_token"),
    IdempotencyKey.status_code.is_(None),
)
"""An UPDATE of a key's row if (and only if) a claim token still holds it; the columns to set are the other
parameters it is executed with. Built once, for the same reason as `_CLAIM`."""


def update_held(session: Session, principal: str, key: str, token: str, **values: Any) -> int:
    """Set `values` on the key's row if `token` still holds its claim: how many rows changed (1 or 0)."""
    held = {"held_principal": principal, "held_key": key, "held_token": token}
    written = session.execute(_HOLDER, {**held, **values})
    return int(written.rowcount)  # type: ignore[attr-defined]


def sweep_expired(session: Session) -> None:
    """Drop every expired key, in a transaction of its own after a response is stored (best effort: a
    failure here must not fail a request whose work is done)."""
    try:
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= utc_now()))
        session.commit()
    except DBAPIError:
        session.rollback()
        log.warning("sweeping expired idempotency keys failed; the next request will try again")


class SweepSchedule:
    """When this process next sweeps expired keys: at most once per `interval_seconds`.

    Sweeping after every response cost every POST a write transaction of its own (a commit, and on SQLite
    the file's one writer slot) to delete rows that are almost never there. An expired key left a while
    longer changes no answer: `claim` treats it as absent and deletes it itself, so the sweep only keeps
    the table from growing, and once a minute does that as well."""

    def __init__(self, interval_seconds: float) -> None:
        self.interval_seconds = interval_seconds
        self._next = 0.0
        self._lock = threading.Lock()

    def due(self) -> bool:
        """True for the first caller once the interval has passed since the last sweep began."""
        now = time.monotonic()
        with self._lock:
            if now < self._next:
                return False
            self._next = now + self.interval_seconds
            return True


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
    update_held(session, principal, key, token, claim_token=None)
    session.commit()
