"""Sessions: a short-lived signed access token plus an opaque refresh token rotated on every use.

A session row is the family of every refresh token it issued (OAuth 2.0 Security BCP, refresh token
rotation): refreshing spends the presented token and issues the next one; presenting a spent token again
means two parties hold it (the user and a thief), so the whole session is revoked and both lose it. The
access token is checked against the session row on every request, so logout or a detected reuse refuses an
access token before its expiry. Refresh tokens are ``tpwrt_<43 chars>`` (32 random bytes), stored as SHA-256.
"""

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Final, Literal

from sqlalchemy import Connection, insert, select, update

from risk.identity.errors import RefreshTokenReused, SessionRefused
from risk.identity.schema import refresh_tokens, sessions
from risk.identity.tokens import AccessClaims, TokenSigner

REFRESH_PREFIX: Final = "tpwrt_"
"""The public prefix of a refresh token."""
SESSION_PREFIX: Final = "ses_"
LoginMethod = Literal["siwe", "passkey"]
_REFUSED: Final = "the session token is not valid"


@dataclass(frozen=True)
class SessionPolicy:
    """How long tokens live and whom they are for (from the API's settings)."""

    audience: str
    access_seconds: int = 15 * 60
    session_seconds: int = 30 * 24 * 3600
    """A session's absolute lifetime: refreshing never extends it past this."""


@dataclass(frozen=True)
class IssuedSession:
    """A session's tokens as issued: the only copies there will be."""

    session_id: str
    subject_id: str
    access_token: str = field(repr=False)
    access_expires_at: int
    refresh_token: str = field(repr=False)
    session_expires_at: int


@dataclass(frozen=True)
class SessionPrincipal:
    """The caller an access token proved: its subject and session."""

    subject_id: str
    session_id: str


def start_session(
    connection: Connection,
    signer: TokenSigner,
    policy: SessionPolicy,
    subject_id: str,
    method: LoginMethod,
    now: int,
) -> IssuedSession:
    """A new session for `subject_id`, just signed in by `method`."""
    session_id = SESSION_PREFIX + secrets.token_hex(16)
    expires_at = now + policy.session_seconds
    connection.execute(
        insert(sessions).values(
            id=session_id, subject_id=subject_id, method=method, created_at=now, expires_at=expires_at
        )
    )
    return _issue(connection, signer, policy, session_id, subject_id, expires_at, now)


def refresh(
    connection: Connection, signer: TokenSigner, policy: SessionPolicy, refresh_token: str, now: int
) -> IssuedSession:
    """Spend `refresh_token` and issue the session's next pair of tokens.

    `RefreshTokenReused` (after revoking the session in `connection`: the caller commits it) when the token
    was spent before; `SessionRefused` when unknown or its session is revoked or over."""
    digest = _digest(refresh_token)
    row = connection.execute(
        select(refresh_tokens.c.session_id, refresh_tokens.c.used_at).where(refresh_tokens.c.digest == digest)
    ).one_or_none()
    if row is None:
        raise SessionRefused(_REFUSED, field="refresh_token")
    session = connection.execute(select(sessions).where(sessions.c.id == row.session_id)).one()
    if session.revoked_at is not None or now >= session.expires_at:
        raise SessionRefused(_REFUSED, field="refresh_token")
    spent = connection.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.digest == digest, refresh_tokens.c.used_at.is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        revoke(connection, session.id, now, reason="refresh_reuse")
        raise RefreshTokenReused(
            "this refresh token was already used: the session is revoked", field="refresh_token"
        )
    return _issue(connection, signer, policy, session.id, session.subject_id, session.expires_at, now)


def revoke(connection: Connection, session_id: str, now: int, *, reason: str = "logout") -> None:
    """End a session: its access and refresh tokens are refused from now on (a second revoke keeps the first
    time and reason)."""
    connection.execute(
        update(sessions)
        .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


def authenticate(
    connection: Connection, signer: TokenSigner, policy: SessionPolicy, access_token: str, now: int
) -> SessionPrincipal:
    """Who `access_token` proves, if its MAC, audience and expiry hold and its session is live now."""
    claims = signer.verify(access_token, audience=policy.audience, now=now)
    session = connection.execute(
        select(sessions.c.subject_id, sessions.c.revoked_at, sessions.c.expires_at).where(
            sessions.c.id == claims.session_id
        )
    ).one_or_none()
    if (
        session is None
        or session.subject_id != claims.subject_id
        or session.revoked_at is not None
        or now >= session.expires_at
    ):
        raise SessionRefused(_REFUSED)
    return SessionPrincipal(claims.subject_id, claims.session_id)


def _issue(
    connection: Connection,
    signer: TokenSigner,
    policy: SessionPolicy,
    session_id: str,
    subject_id: str,
    session_expires_at: int,
    now: int,
) -> IssuedSession:
    refresh_token = REFRESH_PREFIX + secrets.token_urlsafe(32)
    connection.execute(
        insert(refresh_tokens).values(digest=_digest(refresh_token), session_id=session_id, issued_at=now)
    )
    access_expires_at = min(now + policy.access_seconds, session_expires_at)
    access_token = signer.issue(AccessClaims(subject_id, session_id, policy.audience, now, access_expires_at))
    return IssuedSession(
        session_id, subject_id, access_token, access_expires_at, refresh_token, session_expires_at
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
