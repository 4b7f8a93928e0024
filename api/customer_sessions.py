"""Customer sessions as FastAPI dependencies: the identity routes' runtime, and `customer_session`, the
caller a session access token proves (`Authorization: Bearer tpwat_...`). Routes declare them through
`api.deps` (`IdentityDep`, `CustomerSession`).

Distinct from API keys (`api.auth`): only a token of the session form is looked at here, and `api.auth` only
takes its own form, so a session token never passes as an API key nor an API key as a session. Every request
reads the session's row, so a logged-out or revoked session is refused before its token expires. One 401
answer whatever failed (`WWW-Authenticate: Bearer error="invalid_token"`).
"""

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.db import get_session
from api.idempotency.route import Idempotency, IdempotencyKeyMissing
from api.idempotency.store import HEADER, KEY_RE
from api.identity.service import Clock, Identity, identity_for, problem, wall_clock
from risk.identity import sessions
from risk.identity.errors import SessionRefused
from risk.identity.sessions import SessionPrincipal

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="SessionToken",
    description="A session access token (`tpwat_...`) from `/v1/auth`, as a bearer token.",
)


def app_clock(request: Request) -> Clock:
    """The clock of the customer-facing routes (sessions, factors, devices): `app.state.identity_clock` when
    a test set one, the wall clock otherwise."""
    clock: Clock = getattr(request.app.state, "identity_clock", wall_clock)
    return clock


def identity_runtime(request: Request) -> Identity:
    """The serving app's identity runtime, on `app_clock`. 503 while the session key file is unusable."""
    app_state = request.app.state
    return identity_for(app_state.settings, app_state.engine, app_clock(request))


async def customer_session(
    identity: Annotated[Identity, Depends(identity_runtime)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> SessionPrincipal:
    """The caller's live session; 401 without a valid access token of a session that is not revoked."""
    if credentials is None:
        raise problem(SessionRefused("this route needs a session access token (Authorization: Bearer)"))
    token = credentials.credentials
    return await identity.run(
        lambda connection, now: sessions.authenticate(
            connection, identity.signer, identity.sessions, token, now
        )
    )


async def customer_idempotency(
    request: Request,
    principal: Annotated[SessionPrincipal, Depends(customer_session)],
    session: Annotated[Session, Depends(get_session)],
    key: Annotated[str | None, Header(alias=HEADER, include_in_schema=False)] = None,
) -> Idempotency:
    """A customer's POST Idempotency-Key, scoped to the session's subject (not the session: a customer
    retrying after a token refresh is the same caller); 400 when it is missing or malformed."""
    if key is None or not KEY_RE.fullmatch(key):
        raise IdempotencyKeyMissing(
            f"this POST needs an {HEADER} header: 1-255 printable ASCII characters, unique per operation",
            header=HEADER,
        )
    return Idempotency(request, session, f"subject:{principal.subject_id}", key)
