"""API keys: who is calling, and what they may do (scopes); routes ask through `api.deps` (`require_scope`).

A key reads ``tpw_<id>_<secret>`` and travels as ``Authorization: Bearer <key>``. The id (16 hex digits) is
public: it names the key in lists, audit records and idempotency scopes. A merchant's key says its mode in
its prefix, ``tpw_test_<id>_<secret>`` (sandbox) or ``tpw_live_<id>_<secret>``, and acts for that merchant in
that mode only (`payments.merchants.tenant`); a prefix that does not match the stored key's mode is refused,
as is the key of a merchant that is not active. Operators' keys (no merchant) keep the plain prefix.

The secret is 32 random bytes, so its SHA-256 is all the database keeps: with that much entropy no
key-stretching is needed, and a stolen table yields no usable key. Secrets are compared in constant time, a
revoked key is refused like an unknown one, and nothing here logs, echoes or puts a key in an exception
message.

Refusals are RFC 9457 problem documents: 401 with ``WWW-Authenticate: Bearer`` (RFC 6750) when the key is
missing, malformed, unknown, wrong or revoked (one answer for all, so a caller learns nothing about which);
403 with ``error="insufficient_scope"`` naming the scope the route needs; 429 with ``Retry-After`` when the
key has used up its token bucket (`api.ratelimit`).

The key is looked up on the request's session in a transaction that ends at once: the connection goes back
to the pool before the route's work begins, so a request never holds one connection while waiting for
another (the pool-exhaustion deadlock of issue 9).
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any, Final, Literal, get_args

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

from api.db import get_session
from api.errors import problem_doc
from api.merchants.mtls import require_client_certificate
from api.models import ApiKey
from api.ratelimit import RateLimited, RateLimiter, key_bucket
from payments.merchants.model import MerchantStatus
from payments.merchants.schema import merchants
from payments.merchants.tenant import Tenant

OperatorScope = Literal[
    "custody:read",
    "custody:sign",
    "custody:approve",
    "custody:admin",
    "custody:audit",
    "ledger:read",
    "ledger:write",
    "merchants:apply",
    "merchants:admin",
    "payments:read",
    "payments:write",
    "fx:read",
    "fx:write",
    "reconciliation:read",
    "reconciliation:write",
    "disputes:read",
    "disputes:write",
    "devices:admin",
    "monitoring:read",
    "monitoring:write",
    "risk:read",
    "risk:evaluate",
    "risk:admin",
    "cases:read",
    "cases:review",
    "privacy:admin",
    "kyc:read",
    "kyc:review",
    "screening:read",
    "screening:review",
    "screening:admin",
]
MerchantScope = Literal[
    "merchant:read",
    "merchant:write",
    "payments:read",
    "payments:write",
    "webhooks:read",
    "webhooks:write",
    "orders:read",
    "orders:write",
]
Scope = Literal[OperatorScope, MerchantScope]
SCOPES: Final[tuple[OperatorScope, ...]] = get_args(OperatorScope)
"""Every scope an operator's key may hold: read keys and one's own sign requests; submit and retry sign
requests; approve them as an operator; create, refresh and import keys (and read every sign request); read
the audit log and every sign request (an auditor's key, separate from the admin's so reading the log can be
granted without power); read ledger accounts, transfers and entries; create accounts and transfers, post and
void pending ones; file merchant applications; approve, reject and manage every merchant; read one's
payment intents and refunds; create, confirm, capture, cancel and refund them (an operator's own sandbox
book); read one's own FX quotes; ask for FX quotes and convert them (moving money between ledger
accounts); read reconciliation runs and their breaks; run a day's reconciliation; read every merchant's
disputes; record the card networks' disputes and their decisions; read and revoke any subject's bound
devices (the support desk's `/v1/subjects/{subject_id}/devices`); read the monitoring's alerts and
freezes; release or confirm them (an operator's review decision); read the risk engine's decisions;
evaluate facts against the rules without enforcing anything; engage, release and list the trading kill
switches per market and per account (`/v1/risk/kill-switches`); read the review queue's cases and reports;
claim and decide cases; read the privacy analytics reports, and export or erase a customer's personal
data on their behalf; read every KYC check and the manual-review queue; decide the checks a KYC provider
sent to manual review; read screenings and the reviewers' queue; screen on demand and decide potential
matches; replace the sanctions list."""
MERCHANT_SCOPES: Final[tuple[MerchantScope, ...]] = get_args(MerchantScope)
"""The scopes a merchant's key may hold, and only a merchant's key: read its account; manage its keys and
certificates (in its own mode); its payment intents and refunds; read its webhook endpoints, events and
deliveries; create, rotate and delete its endpoints and redeliver; read its spot and perpetual orders,
positions, margin, funding and liquidations; place, amend and cancel orders, move margin collateral and
change leverage and margin mode (a sandbox key on the sandbox books: paper trading)."""

KEY_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    401: problem_doc("No API key, or an invalid or revoked one (`WWW-Authenticate: Bearer`)."),
    403: problem_doc("The API key lacks the scope this route needs; `detail` names it."),
}
"""Pass as (part of) the ``responses`` of a route that needs an API key."""

TOKEN_PREFIX: Final = "tpw_"  # noqa: S105 - the public prefix of every key, not a secret
MODE_PREFIXES: Final = {False: "test_", True: "live_"}
"""What follows `TOKEN_PREFIX` in a merchant key's token, by `livemode`."""
KEY_ID_BYTES: Final = 8
SECRET_BYTES: Final = 32
_TOKEN_RE: Final = re.compile(
    r"tpw_(?:(?P<mode>test|live)_)?(?P<key_id>[0-9a-f]{16})_(?P<secret>[A-Za-z0-9_-]{43})"
)
_REALM: Final = 'Bearer realm="tpwallet"'
_UNUSED_DIGEST: Final = hashlib.sha256(b"no such key").hexdigest()
"""Compared against when the key id is unknown, so an unknown id costs the same time as a wrong secret."""


class ApiKeyError(ValueError):
    """An API-key management request that cannot be done (unknown key, bad scope, empty name)."""


@dataclass(frozen=True)
class ApiClient:
    """An authenticated caller: its key's id and name, and the scopes the key grants."""

    key_id: str
    name: str
    scopes: frozenset[str]
    tenant: Tenant | None = None
    """The merchant and mode a merchant's key acts for; None for an operator's key."""

    @property
    def actor(self) -> str:
        """How audit records name this caller."""
        return f"api-key:{self.key_id}"


@dataclass(frozen=True)
class IssuedApiKey:
    """A new key as issued: `token` is the only copy of the secret there will ever be."""

    key_id: str
    name: str
    scopes: tuple[Scope, ...]
    token: str = field(repr=False)
    tenant: Tenant | None = None
    created_at: datetime | None = None


def secret_digest(secret: str) -> str:
    """SHA-256 of a key's secret, hex: what the database stores instead of the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_scopes(text: str) -> tuple[Scope, ...]:
    """`"custody:read,custody:sign"` -> those scopes in canonical order, once each; ApiKeyError if unknown."""
    names = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(names - set(SCOPES))
    if unknown:
        raise ApiKeyError(f"unknown scopes {unknown}; known: {', '.join(SCOPES)}")
    if not names:
        raise ApiKeyError("a key needs at least one scope")
    return tuple(scope for scope in SCOPES if scope in names)


def _now() -> datetime:
    return datetime.now(UTC)


def add_api_key(
    session: Session, name: str, scopes: Iterable[Scope], tenant: Tenant | None = None
) -> IssuedApiKey:
    """Add a key named `name` with `scopes` to the session's transaction (the caller commits): an operator's
    key, or `tenant`'s merchant key (merchant scopes only). The returned token is shown once, never stored."""
    allowed: tuple[Scope, ...] = MERCHANT_SCOPES if tenant else SCOPES
    chosen = tuple(scope for scope in allowed if scope in set(scopes))
    if not name.strip():
        raise ApiKeyError("a key needs a name")
    misplaced = sorted(set(scopes) - set(allowed))
    if misplaced:
        holder = "a merchant's key" if tenant else "an operator's key"
        raise ApiKeyError(f"{holder} cannot hold the scopes {misplaced}")
    if not chosen:
        raise ApiKeyError("a key needs at least one scope")
    key_id = secrets.token_hex(KEY_ID_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    created_at = _now()
    session.add(
        ApiKey(
            id=key_id,
            name=name.strip(),
            secret_sha256=secret_digest(secret),
            scopes=" ".join(chosen),
            created_at=created_at,
            revoked_at=None,
            merchant_id=tenant.merchant_id if tenant else None,
            livemode=tenant.livemode if tenant else None,
        )
    )
    prefix = TOKEN_PREFIX + (MODE_PREFIXES[tenant.livemode] if tenant else "")
    return IssuedApiKey(key_id, name.strip(), chosen, f"{prefix}{key_id}_{secret}", tenant, created_at)


def issue_api_key(session: Session, name: str, scopes: Iterable[Scope]) -> IssuedApiKey:
    """Create and store an operator's key named `name` with `scopes`; the token is shown once, never
    stored."""
    issued = add_api_key(session, name, scopes)
    session.commit()
    return issued


def list_api_keys(session: Session) -> list[ApiKey]:
    """Every key, revoked ones included, oldest first."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)))


def revoke_api_key(session: Session, key_id: str) -> tuple[ApiKey, bool]:
    """Revoke `key_id` from now on: the key, and False if it was revoked already (the first time stays).
    ApiKeyError if there is no such key."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise ApiKeyError(f"no API key with id {key_id!r}")
    if key.revoked_at is not None:
        return key, False
    key.revoked_at = _now()
    session.commit()
    return key, True


_KEY_AND_MERCHANT: Final = (
    select(
        ApiKey.id,
        ApiKey.name,
        ApiKey.secret_sha256,
        ApiKey.scopes,
        ApiKey.revoked_at,
        ApiKey.merchant_id,
        ApiKey.livemode,
        merchants.c.status,
    )
    .outerjoin(merchants, merchants.c.id == ApiKey.merchant_id)
    .where(ApiKey.id == bindparam("key_id"))
)
"""A key with its merchant's status, in one statement built once: every request reads it, and the ORM's
`get` plus a second query for the merchant cost more CPU than the API's own work on a payment intent."""


def authenticate(session: Session, token: str) -> ApiClient | None:
    """The caller `token` identifies, or None if it is malformed, unknown, wrong or revoked, or if it is a
    merchant's key and the merchant is not active (only an active merchant's keys act)."""
    match = _TOKEN_RE.fullmatch(token)
    if match is None:
        return None
    key = session.execute(_KEY_AND_MERCHANT, {"key_id": match["key_id"]}).first()
    stored = key.secret_sha256 if key is not None else _UNUSED_DIGEST
    if not hmac.compare_digest(stored, secret_digest(match["secret"])):
        return None
    if key is None or key.revoked_at is not None:
        return None
    scopes = frozenset(key.scopes.split())
    if key.merchant_id is None or key.livemode is None:
        return None if match["mode"] else ApiClient(key.id, key.name, scopes)
    if match["mode"] != MODE_PREFIXES[key.livemode][:-1] or key.status != MerchantStatus.ACTIVE:
        return None
    return ApiClient(key.id, key.name, scopes, Tenant(key.merchant_id, key.livemode))


_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key `tpw_<id>_<secret>` (`python -m api.apikeys create`), as a bearer token.",
)


def _unauthorized(error: str | None) -> HTTPException:
    challenge = _REALM if error is None else f'{_REALM}, error="{error}"'
    return HTTPException(
        HTTPStatus.UNAUTHORIZED,
        "a valid API key is required: send Authorization: Bearer tpw_<id>_<secret>",
        headers={"WWW-Authenticate": challenge},
    )


def _authenticate_and_end(session: Session, token: str) -> ApiClient | None:
    """`authenticate`, its read transaction ended so the session gives its connection back."""
    try:
        return authenticate(session, token)
    finally:
        session.rollback()


async def authenticated_client(
    request: HTTPConnection,
    session: Annotated[Session, Depends(get_session)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiClient:
    """The caller, from its bearer API key; 401 without a valid, unrevoked key, 429 when the key's token
    bucket is empty, 403 when it is a merchant's key that needs its client certificate and came without the
    right one (`api.merchants.mtls`). A WebSocket's handshake is authenticated alike
    (`api.market_stream`)."""
    if credentials is None:
        raise _unauthorized(None)
    client = await run_in_threadpool(_authenticate_and_end, session, credentials.credentials)
    if client is None:
        raise _unauthorized("invalid_token")
    bucket = key_bucket(request.app.state.settings)
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if bucket is not None and limiter is not None:
        wait = await limiter.take(f"key:{client.key_id}", bucket)
        if wait > 0:
            raise RateLimited(
                f"API key {client.key_id} sent too many requests; retry after Retry-After", wait
            )
    if client.tenant is not None:
        await require_client_certificate(request.app.state.settings, request.scope, session, client.tenant)
    return client


def require_scope(scope: Scope, *alternatives: Scope) -> Callable[[ApiClient], ApiClient]:
    """A dependency: the authenticated caller, if its key grants `scope` or one of `alternatives`; 403
    naming them otherwise (`scope` first: the one a caller normally asks for)."""
    accepted = (scope, *alternatives)
    named = scope if not alternatives else f"{scope} (or {', '.join(alternatives)})"

    def client_with_scope(client: Annotated[ApiClient, Depends(authenticated_client)]) -> ApiClient:
        if client.scopes.isdisjoint(accepted):
            raise HTTPException(
                HTTPStatus.FORBIDDEN,
                f"this API key lacks the scope {named}",
                headers={
                    "WWW-Authenticate": f'{_REALM}, error="insufficient_scope", scope="{" ".join(accepted)}"'
                },
            )
        return client

    client_with_scope.__name__ = f"require_{scope.replace(':', '_')}"
    return client_with_scope
