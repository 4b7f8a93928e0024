"""`/v1/auth/...`: sign in with Ethereum (EIP-4361) or a passkey, refresh and end sessions.

Thin routes over `risk.identity`, each one transaction (`api.identity.service`). None needs an API key: a
customer's browser or wallet calls them. Signing in answers a session (`SessionOut`); routes that act for a
signed-in customer take the `CustomerSession` dependency (`api.deps`). `/v1/auth/passkeys/page` serves a
minimal page that runs the passkey ceremonies in a browser (`api.identity.page`). How the checks work:
docs/risk.md.
"""

from http import HTTPStatus
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection

from api.deps import CustomerSession, IdentityDep, SettingsDep
from api.errors import problem_doc
from api.identity import page
from api.identity.schemas import (
    CeremonyAnswer,
    CeremonyOut,
    NonceOut,
    PasskeyOut,
    RefreshIn,
    RegistrationOptionsIn,
    SessionInfo,
    SessionOut,
    SiweLogin,
)
from api.monitoring.sightings import sighted
from api.privacy.service import pseudonymizer
from risk.identity import identities, passkeys, sessions, siwe_login
from risk.identity.sessions import IssuedSession
from risk.privacy import analytics

router = APIRouter(prefix="/v1/auth", tags=["auth"])

UNAVAILABLE: Final[dict[int | str, dict[str, Any]]] = {
    503: problem_doc("Sign-in is not configured: no usable session key file.")
}
SESSION_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    401: problem_doc("No session access token, or an invalid, expired or revoked one."),
    **UNAVAILABLE,
}


def _session_out(issued: IssuedSession) -> SessionOut:
    return SessionOut(
        subject_id=issued.subject_id,
        session_id=issued.session_id,
        access_token=issued.access_token,
        expires_at=issued.access_expires_at,
        refresh_token=issued.refresh_token,
        session_expires_at=issued.session_expires_at,
    )


@router.post("/siwe/nonce", response_model=NonceOut, status_code=HTTPStatus.CREATED, responses=UNAVAILABLE)
async def siwe_nonce(identity: IdentityDep) -> NonceOut:
    """A single-use nonce for a Sign-In with Ethereum message, valid for a few minutes."""
    issued = await identity.run(
        lambda connection, now: siwe_login.issue_nonce(connection, identity.siwe, now)
    )
    return NonceOut(nonce=issued.nonce, expires_at=issued.expires_at)


@router.post(
    "/siwe/login",
    response_model=SessionOut,
    responses={
        401: problem_doc(
            "The message is not for this domain, URI or chain, is out of its time, its nonce is "
            "unknown or spent, or the signature is not its address's; `errors` names the field."
        ),
        422: problem_doc("The body or the message is malformed; `errors` names the field."),
        **UNAVAILABLE,
    },
)
async def siwe_login_route(
    request: Request, body: SiweLogin, identity: IdentityDep, settings: SettingsDep
) -> SessionOut:
    """Sign in with an EIP-4361 message signed by an Ethereum address (an externally owned account). The
    address's identity is created, as a customer, on its first sign-in. The login is an analytics event
    under the subject's keyed pseudonym (docs/risk.md, Privacy), while the analytics key is configured, and
    a sighting for the monitoring's geography check (the country of the caller's address, never the
    address: a country change faster than travel allows alerts, freezes and opens a case)."""
    keyed = pseudonymizer(settings)

    def work(connection: Connection, now: int) -> IssuedSession:
        login = siwe_login.verify_message(identity.siwe, body.message, body.signature, now)
        siwe_login.spend_nonce(connection, login.nonce, now)
        subject = identities.identity_of_address(connection, login.address, now)
        if keyed is not None:
            analytics.record(connection, keyed, analytics.Event(analytics.EventKind.LOGIN, subject.id, now))
        return sessions.start_session(connection, identity.signer, identity.sessions, subject.id, "siwe", now)

    issued = await identity.run(work)
    await sighted(
        request.app.state, request.client.host if request.client else None, "customer", issued.subject_id
    )
    return _session_out(issued)


@router.post(
    "/refresh",
    response_model=SessionOut,
    responses={
        401: problem_doc(
            "The refresh token is unknown, its session over, or it was used before (the whole "
            "session is then revoked: `refresh-token-reused`)."
        ),
        **UNAVAILABLE,
    },
)
async def refresh(body: RefreshIn, identity: IdentityDep) -> SessionOut:
    """The session's next access and refresh tokens; the refresh token given is spent."""
    issued = await identity.run(
        lambda connection, now: sessions.refresh(
            connection, identity.signer, identity.sessions, body.refresh_token, now
        )
    )
    return _session_out(issued)


@router.post("/logout", status_code=HTTPStatus.NO_CONTENT, responses=SESSION_RESPONSES)
async def logout(principal: CustomerSession, identity: IdentityDep) -> Response:
    """End the caller's session: its access and refresh tokens are refused from now on."""
    await identity.run(lambda connection, now: sessions.revoke(connection, principal.session_id, now))
    return Response(status_code=HTTPStatus.NO_CONTENT)


@router.get("/session", response_model=SessionInfo, responses=SESSION_RESPONSES)
async def current_session(principal: CustomerSession) -> SessionInfo:
    """Who the access token speaks for."""
    return SessionInfo(subject_id=principal.subject_id, session_id=principal.session_id)


@router.post(
    "/passkeys/registration/options",
    response_model=CeremonyOut,
    status_code=HTTPStatus.CREATED,
    responses=SESSION_RESPONSES,
)
async def passkey_registration_options(
    body: RegistrationOptionsIn, principal: CustomerSession, identity: IdentityDep
) -> CeremonyOut:
    """Options to create a passkey for the signed-in identity; the challenge is bound to it."""
    options = await identity.run(
        lambda connection, now: passkeys.registration_options(
            connection, identity.passkeys, principal.subject_id, body.user_name, now
        )
    )
    return CeremonyOut(
        ceremony_id=options.ceremony_id, options=options.options, expires_at=options.expires_at
    )


@router.post(
    "/passkeys/registration/verify",
    response_model=PasskeyOut,
    status_code=HTTPStatus.CREATED,
    responses={
        **SESSION_RESPONSES,
        401: problem_doc(
            "No valid session, or the passkey does not verify (another origin or RP id, another "
            "session's or a spent challenge)."
        ),
    },
)
async def passkey_registration_verify(
    body: CeremonyAnswer, principal: CustomerSession, identity: IdentityDep
) -> PasskeyOut:
    """Store the passkey the authenticator created for the ceremony."""
    credential_id = await identity.run(
        lambda connection, now: passkeys.verify_registration(
            connection, identity.passkeys, body.ceremony_id, principal.subject_id, body.credential, now
        )
    )
    return PasskeyOut(credential_id=credential_id)


@router.post(
    "/passkeys/authentication/options",
    response_model=CeremonyOut,
    status_code=HTTPStatus.CREATED,
    responses=UNAVAILABLE,
)
async def passkey_authentication_options(identity: IdentityDep) -> CeremonyOut:
    """Options to sign in with a passkey."""
    options = await identity.run(
        lambda connection, now: passkeys.authentication_options(connection, identity.passkeys, now)
    )
    return CeremonyOut(
        ceremony_id=options.ceremony_id, options=options.options, expires_at=options.expires_at
    )


@router.post(
    "/passkeys/authentication/verify",
    response_model=SessionOut,
    responses={
        401: problem_doc(
            "The assertion does not verify: another origin or RP id, an unknown passkey, a sign "
            "counter that did not increase, or an unknown, spent or expired ceremony."
        ),
        **UNAVAILABLE,
    },
)
async def passkey_authentication_verify(body: CeremonyAnswer, identity: IdentityDep) -> SessionOut:
    """Sign in with a passkey's assertion; answers a session."""

    def work(connection: Connection, now: int) -> IssuedSession:
        subject_id = passkeys.verify_authentication(
            connection, identity.passkeys, body.ceremony_id, body.credential, now
        )
        return sessions.start_session(
            connection, identity.signer, identity.sessions, subject_id, "passkey", now
        )

    return _session_out(await identity.run(work))


@router.get("/passkeys/page", response_class=HTMLResponse, include_in_schema=False)
async def passkey_page() -> HTMLResponse:
    """The passkey page: sign in with a passkey, or add one to the signed-in identity (`api.identity.page`).
    Not in the OpenAPI document: it is a page for people, not an API."""
    return HTMLResponse(page.asset("passkeys.html"), headers=page.HEADERS)


@router.get("/passkeys/page.js", include_in_schema=False)
async def passkey_page_script() -> Response:
    """The passkey page's script."""
    return Response(page.asset("passkeys.js"), media_type="text/javascript", headers=page.HEADERS)
