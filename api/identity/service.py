"""The identity routes' work: each call is one transaction on the app's engine, run in a worker thread, and
`risk.identity`'s refusals become problem documents naming the field at fault.

A refusal normally rolls its transaction back. Two do not: a WebAuthn ceremony refused after its challenge
was spent keeps it spent (a failed answer cannot be retried with the same challenge), and a reused refresh
token keeps its session revoked. Those commit what they wrote, then answer the refusal.
"""

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

from anyio import to_thread
from sqlalchemy import Connection, Engine

from api.errors import ApiError, InvalidRequest, ServiceUnavailable
from api.errors import NotFound as ApiNotFound
from api.settings import ApiSettings
from risk.identity import errors
from risk.identity.passkeys import PasskeyPolicy
from risk.identity.sessions import SessionPolicy
from risk.identity.siwe_login import SiwePolicy
from risk.identity.tokens import TokenKeyError, TokenSigner

Clock = Callable[[], int]
"""Whole seconds since the epoch."""
_Result = TypeVar("_Result")
_BEARER: Final = 'Bearer realm="tpwallet"'


class LoginRefused(ApiError, status=401, problem="login-refused", title="Sign-in refused"):
    """The sign-in proof does not hold; `errors` names the field (domain, uri, chain_id, nonce, ...)."""


class PasskeyRefused(ApiError, status=401, problem="passkey-refused", title="Passkey refused"):
    """The WebAuthn answer does not verify, or its ceremony is unknown, spent, expired or another's."""


class SessionRefused(ApiError, status=401, problem="session-refused", title="Session refused"):
    """The session token is missing, malformed, tampered, expired, for another audience, or revoked."""


class RefreshTokenReused(
    SessionRefused, problem="refresh-token-reused", title="Refresh token reused: session revoked"
):
    """A refresh token was presented after its rotation: its whole session is revoked."""


class IdentityUnavailable(ServiceUnavailable, problem="identity-unavailable", title="Sign-in unavailable"):
    """The session key file is missing or malformed (the operator's to fix)."""


_PROBLEMS: Final[dict[type[errors.IdentityError], type[ApiError]]] = {
    errors.InvalidInput: InvalidRequest,
    errors.LoginRefused: LoginRefused,
    errors.CeremonyRefused: PasskeyRefused,
    errors.SessionRefused: SessionRefused,
    errors.RefreshTokenReused: RefreshTokenReused,
    errors.NotFound: ApiNotFound,
}
_KEPT_REFUSALS: Final = (errors.CeremonyRefused, errors.RefreshTokenReused)


def problem(error: errors.IdentityError) -> ApiError:
    """The problem document of a domain refusal (a 401 carries `WWW-Authenticate`)."""
    answer = _PROBLEMS[type(error)](
        error.detail, errors=[{"field": error.field, "message": error.detail}] if error.field else []
    )
    if isinstance(answer, SessionRefused):
        answer.headers["WWW-Authenticate"] = f'{_BEARER}, error="invalid_token"'
    return answer


@dataclass(frozen=True)
class Identity:
    """What the identity routes work with: the app's engine, clock, signer and policies."""

    engine: Engine
    clock: Clock
    signer: TokenSigner
    sessions: SessionPolicy
    siwe: SiwePolicy
    passkeys: PasskeyPolicy

    async def run(self, work: Callable[[Connection, int], _Result]) -> _Result:
        """`work(connection, now)` in one transaction in a worker thread; refusals as problems."""
        return await to_thread.run_sync(self._transaction, work)

    def _transaction(self, work: Callable[[Connection, int], _Result]) -> _Result:
        now = self.clock()
        kept: errors.IdentityError | None = None
        with self.engine.begin() as connection:
            try:
                return work(connection, now)
            except _KEPT_REFUSALS as error:
                kept = error
            except errors.IdentityError as error:
                raise problem(error) from None
        assert kept is not None  # the block returned unless a kept refusal was caught
        raise problem(kept)


def wall_clock() -> int:
    """The identity clock of a serving app: whole seconds since the epoch."""
    return int(time.time())


@functools.lru_cache(maxsize=4)
def _signer(path: Path, modified_ns: int) -> TokenSigner:
    return TokenSigner.from_file(path)


def token_signer(path: Path) -> TokenSigner:
    """The signer for the key file at `path` (re-read when the file changes); 503 while it is unusable."""
    try:
        return _signer(path, path.stat().st_mtime_ns)
    except (OSError, TokenKeyError):
        raise IdentityUnavailable(
            "sign-in is not configured on this server: no usable session key at auth_session_key_path"
        ) from None


def identity_for(settings: ApiSettings, engine: Engine, clock: Clock) -> Identity:
    """The identity routes' dependencies under `settings`."""
    return Identity(
        engine=engine,
        clock=clock,
        signer=token_signer(settings.auth_session_key_path),
        sessions=SessionPolicy(
            audience=settings.auth_audience,
            access_seconds=settings.auth_access_token_seconds,
            session_seconds=settings.auth_session_seconds,
        ),
        siwe=SiwePolicy(
            domain=settings.siwe_domain, uri=settings.siwe_uri, chain_ids=frozenset(settings.siwe_chain_ids)
        ),
        passkeys=passkey_policy(settings),
    )


def passkey_policy(settings: ApiSettings) -> PasskeyPolicy:
    """Our WebAuthn relying party under `settings`: the one sign-in and a payment's passkey step-up share, so
    a passkey registered for one is the passkey of the other."""
    return PasskeyPolicy(
        rp_id=settings.webauthn_rp_id, rp_name=settings.webauthn_rp_name, origins=settings.webauthn_origins
    )
