"""The factors routes' work on `risk.factors`, run in a worker thread, and its refusals as problem documents.

The factor services run their own transactions (a failure must stay counted whatever follows), so a route is
a sequence of them: a change is first authorized (`risk.factors.changes`, spending a factor proof if one was
sent), then done; a verification is checked, then its proof issued. A proof spent on a change that is then
refused (say, a TOTP enrolled already) stays spent: verify again.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, TypeVar

from anyio import to_thread
from argon2 import PasswordHasher
from sqlalchemy import Engine, select

from api.errors import ApiError, InvalidRequest, NotFound, ServiceUnavailable
from api.factors.schemas import FactorKind, FactorList, FactorOut, ProofOut, ProofToken
from api.settings import ApiSettings
from api.subject import session_actor
from custody.keystore.sealed_box import SealingError, read_key_file
from custody.keystore.unlock import Kek
from risk.errors import RiskError
from risk.factors import errors, proofs
from risk.factors.changes import ChangeAction, ChangeNotAuthorized, ChangePolicy, authorize_change
from risk.factors.fallback import available_factors
from risk.factors.lockout import LockoutPolicy
from risk.factors.model import Factor
from risk.factors.passwords import PaymentPassword
from risk.factors.proofs import ProofRefused, ProofSigner
from risk.factors.recovery import RecoveryCodes
from risk.factors.sealing import SecretBox
from risk.factors.totp import TotpFactor
from risk.identity.schema import sessions
from risk.identity.sessions import SessionPrincipal

PROOF_HEADER: Final = "TPW-Factor-Proof"
_Result = TypeVar("_Result")


class FactorsUnavailable(ServiceUnavailable, problem="factors-unavailable", title="Factors unavailable"):
    """The factors' key file is missing or malformed (the operator's to fix)."""


class FactorNotEnrolled(NotFound, problem="factor-not-enrolled", title="Factor not enrolled"):
    """The customer has no such factor (or a TOTP still waiting for its first code)."""


class FactorAlreadyEnrolled(
    ApiError, status=409, problem="factor-already-enrolled", title="Factor already enrolled"
):
    """The customer has this factor already: revoke it first."""


class FactorVerificationFailed(
    ApiError, status=422, problem="factor-verification-failed", title="Factor verification failed"
):
    """The code or password is wrong or was used already; the failure was counted. `errors` names it."""


class FactorLocked(ApiError, status=423, problem="factor-locked", title="Factor locked"):
    """Too many failures: every attempt is refused until `locked_until` (`Retry-After` says how long)."""


class FactorChangeRefused(
    ApiError, status=403, problem="factor-change-not-authorized", title="Factor change not authorized"
):
    """A factor change without a recent sign-in or a valid factor proof for it (`TPW-Factor-Proof`)."""


def problem(error: RiskError, now: int) -> ApiError:
    """The problem document of a factors refusal, naming its field; a lock says until when."""
    named = [{"field": error.field, "message": error.detail}] if error.field else None
    if isinstance(error, errors.FactorLocked | errors.VerificationFailed):
        until = error.until if isinstance(error, errors.FactorLocked) else error.locked_until
        if until is not None:
            locked = FactorLocked(error.detail, errors=named, factor=error.factor.value, locked_until=until)
            locked.headers["Retry-After"] = str(max(1, until - now))
            return locked
        return FactorVerificationFailed(error.detail, errors=named, factor=error.factor.value)
    if isinstance(error, ProofRefused | ChangeNotAuthorized):
        return FactorChangeRefused(error.detail, errors=[{"field": PROOF_HEADER, "message": error.detail}])
    if isinstance(error, errors.NotEnrolled):
        return FactorNotEnrolled(error.detail, factor=error.factor.value)
    if isinstance(error, errors.AlreadyEnrolled):
        return FactorAlreadyEnrolled(error.detail, factor=error.factor.value)
    return InvalidRequest(error.detail, errors=named)


@dataclass(frozen=True)
class Factors:
    """The factor services on the app's engine and clock, the proof signer and the change policy."""

    engine: Engine
    clock: Callable[[], int]
    totp: TotpFactor
    password: PaymentPassword
    recovery: RecoveryCodes
    signer: ProofSigner
    changes: ChangePolicy
    proof_ttl_seconds: int

    async def run(self, work: Callable[..., _Result], *args: object) -> _Result:
        """`work(self, *args)` in a worker thread; `risk` refusals as problem documents."""
        return await to_thread.run_sync(self._guarded, work, args)

    def _guarded(self, work: Callable[..., _Result], args: tuple[object, ...]) -> _Result:
        try:
            return work(self, *args)
        except RiskError as error:
            raise problem(error, self.clock()) from None


@functools.lru_cache(maxsize=4)
def _kek(path: Path, modified_ns: int) -> Kek:
    return read_key_file(path, "factor")


def factors_for(
    settings: ApiSettings, engine: Engine, clock: Callable[[], int], hasher: PasswordHasher | None
) -> Factors:
    """The factors runtime under `settings` (`hasher`: None for the default Argon2id); 503 while the
    factors' key file is unusable."""
    try:
        kek = _kek(settings.factor_key_path, settings.factor_key_path.stat().st_mtime_ns)
    except (OSError, SealingError):
        raise FactorsUnavailable(
            "factors are not configured on this server: no usable key at factor_key_path"
        ) from None
    lockout = LockoutPolicy(
        max_failures=settings.factor_lockout_failures,
        base_lock_seconds=settings.factor_lockout_base_seconds,
        max_lock_seconds=settings.factor_lockout_max_seconds,
    )
    return Factors(
        engine=engine,
        clock=clock,
        totp=TotpFactor(engine, SecretBox(kek), lockout, clock, issuer=settings.totp_issuer),
        password=PaymentPassword(engine, lockout, clock, hasher=hasher),
        recovery=RecoveryCodes(engine, lockout, clock),
        signer=ProofSigner.from_kek(kek),
        changes=ChangePolicy(settings.factor_change_recent_login_seconds),
        proof_ttl_seconds=settings.factor_proof_ttl_seconds,
    )


def overview(factors: Factors, subject_id: str) -> FactorList:
    """Every factor kind of the customer, enrolled or not, with its lock."""
    now = factors.clock()
    data = []
    for status in available_factors(factors.engine, subject_id, now):
        state: Literal["active", "pending", "not_enrolled"] = "active" if status.enrolled else "not_enrolled"
        if status.factor is Factor.TOTP and not status.enrolled and factors.totp.is_pending(subject_id):
            state = "pending"
        remaining = factors.recovery.remaining(subject_id) if status.factor is Factor.RECOVERY_CODE else None
        data.append(
            FactorOut(
                factor=kind(status.factor),
                status=state,
                locked_until=status.locked_until,
                remaining=remaining,
            )
        )
    return FactorList(data=data)


def authorize(
    factors: Factors,
    principal: SessionPrincipal,
    proof_token: str | None,
    action: ChangeAction,
    factor: Factor,
) -> str:
    """Authorize a change of the customer's `factor` (`risk.factors.changes`), in a transaction of its own
    that spends the proof if one was sent."""
    now = factors.clock()
    with factors.engine.begin() as connection:
        logged_in_at = connection.scalar(
            select(sessions.c.created_at).where(sessions.c.id == principal.session_id)
        )
        return authorize_change(
            connection,
            factors.signer,
            factors.changes,
            subject_id=principal.subject_id,
            logged_in_at=logged_in_at if logged_in_at is not None else -1,
            proof_token=proof_token,
            action=action,
            factor=factor,
            now=now,
            field=PROOF_HEADER,
        )


def revoke(factors: Factors, principal: SessionPrincipal, proof_token: str | None, factor: Factor) -> None:
    """Remove the customer's `factor` (a TOTP pending or confirmed, the password, every recovery code),
    audited naming the session."""
    authorize(factors, principal, proof_token, ChangeAction.REVOKE, factor)
    revokers = {
        Factor.TOTP: factors.totp.revoke,
        Factor.PAYMENT_PASSWORD: factors.password.revoke,
        Factor.RECOVERY_CODE: factors.recovery.revoke,
    }
    revokers[factor](principal.subject_id, actor=session_actor(principal.session_id))


def change_password(factors: Factors, principal: SessionPrincipal, current: str, new: str) -> FactorOut:
    """Replace the customer's payment password once `current` verifies (under the lockout), audited naming
    the session; the factor as it stands after."""
    factors.password.change(principal.subject_id, current, new, actor=session_actor(principal.session_id))
    return FactorOut(factor="payment_password", status="active", locked_until=None)


_KINDS: Final[dict[Factor, FactorKind]] = {
    Factor.TOTP: "totp",
    Factor.PAYMENT_PASSWORD: "payment_password",
    Factor.RECOVERY_CODE: "recovery_code",
}


def kind(factor: Factor) -> FactorKind:
    """`factor` as `/v1/factors` names it: only the factors it manages (a passkey is `/v1/auth`'s, and a
    payment's step-up asks for it directly; naming one here is a programming error, a KeyError)."""
    return _KINDS[factor]


def verified(
    factors: Factors, subject_id: str, factor: Factor, purpose: str | None, challenge: str
) -> ProofOut:
    """The answer to a successful verification: with a `purpose`, a new proof bound to it and `challenge`."""
    now = factors.clock()
    if purpose is None:
        return ProofOut(factor=kind(factor), verified_at=now, proof=None)
    with factors.engine.begin() as connection:
        issued = proofs.issue(
            connection, factors.signer, subject_id, factor, purpose, challenge, now, factors.proof_ttl_seconds
        )
    token = ProofToken(token=issued.token, purpose=purpose, challenge=challenge, expires_at=issued.expires_at)
    return ProofOut(factor=kind(factor), verified_at=now, proof=token)


def verify(
    factors: Factors,
    principal: SessionPrincipal,
    factor: Factor,
    secret: str,
    purpose: str | None,
    challenge: str,
) -> ProofOut:
    """Check `secret` against the customer's `factor` (under its lockout), then answer `verified`. A TOTP
    code is a confirmed factor's, or the first code of a pending enrolment (which activates it, audited
    naming the session); either way its time step is used up. A recovery code is spent."""
    subject_id = principal.subject_id
    check: Callable[[str, str], None]
    if factor is Factor.TOTP and factors.totp.is_enrolled(subject_id):
        check = factors.totp.verify
    elif factor is Factor.TOTP:
        check = functools.partial(factors.totp.confirm, actor=session_actor(principal.session_id))
    elif factor is Factor.PAYMENT_PASSWORD:
        check = factors.password.verify
    else:
        check = factors.recovery.use
    check(subject_id, secret)
    return verified(factors, subject_id, factor, purpose, challenge)
