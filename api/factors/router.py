"""`/v1/factors`: the signed-in customer's factors. Thin routes over `api.factors.service`.

Every route acts for the customer of the session access token (`CustomerSession`) and only on that
customer's factors: there is no factor id to guess, and another customer's factors are out of reach. Like the
`/v1/auth` routes these POSTs take no Idempotency-Key: they move no money, and the answers that matter (a
TOTP secret, recovery codes, a factor proof) are secrets shown once that must not be kept for a replay.

A change (enrol, set, regenerate, revoke) is a sensitive change (`risk.factors.changes`): it needs a sign-in
within `factor_change_recent_login_seconds`, or a factor proof in `TPW-Factor-Proof` for purpose
`factor_change` and challenge `<enrol|revoke>:<factor>`. Changing the payment password needs the current
one instead (itself a factor verified for that change, counted under the lockout). Every change, and a TOTP
enrolment's confirmation, is chained onto the risk audit log naming the session (`risk.factors.audit`). A
verification with a `purpose` answers a factor proof (`risk.factors.proofs`) that a step-up consumes.
"""

from collections.abc import Callable
from http import HTTPStatus
from typing import Annotated, Any, Final, TypeVar

from fastapi import APIRouter, Header, Path
from fastapi.responses import Response

from api.deps import CustomerSession, FactorsDep
from api.errors import problem_doc
from api.factors import service
from api.factors.schemas import (
    FactorKind,
    FactorList,
    FactorOut,
    PasswordChange,
    PasswordSet,
    PasswordVerify,
    ProofOut,
    ProofRequest,
    RecoveryCodesOut,
    RecoveryCodeVerify,
    TotpEnrol,
    TotpEnrolmentOut,
    TotpVerify,
)
from api.factors.service import PROOF_HEADER, Factors
from api.subject import session_actor
from risk.factors.changes import ChangeAction
from risk.factors.model import Factor
from risk.identity.sessions import SessionPrincipal

router = APIRouter(prefix="/v1/factors", tags=["factors"])
_Route = TypeVar("_Route", bound=Callable[..., Any])

ProofHeader = Annotated[
    str | None,
    Header(
        alias=PROOF_HEADER,
        max_length=1024,
        description="A factor proof for purpose `factor_change` and challenge `<enrol|revoke>:<factor>`; "
        "needed unless the session signed in within the recent-login window.",
    ),
]
FactorPath = Annotated[FactorKind, Path(description="`totp`, `payment_password` or `recovery_code`.")]

SESSION: Final[dict[int | str, dict[str, Any]]] = {
    401: problem_doc("No session access token, or an invalid, expired or revoked one."),
    422: problem_doc("The request is invalid; `errors` names each bad field."),
    503: problem_doc("Sign-in or factors are not configured on this server (a key file is missing)."),
}
CHANGE: Final[dict[int | str, dict[str, Any]]] = {
    **SESSION,
    403: problem_doc(
        "`factor-change-not-authorized`: no sign-in recent enough and no valid factor proof for this "
        "change (`errors` names `TPW-Factor-Proof`)."
    ),
    409: problem_doc("`factor-already-enrolled`: revoke the factor first."),
}
VERIFY: Final[dict[int | str, dict[str, Any]]] = {
    **SESSION,
    404: problem_doc("`factor-not-enrolled`: the customer has no such factor."),
    422: problem_doc(
        "Invalid, or `factor-verification-failed`: the code or password is wrong or used already (the "
        "failure is counted); `errors` names the field."
    ),
    423: problem_doc(
        "`factor-locked`: too many failures; every attempt is refused until `locked_until` (`Retry-After`)."
    ),
}


def _change(path: str, summary: str) -> Callable[[_Route], _Route]:
    """A POST that changes a factor: 201, and the change's problems."""
    return router.post(path, status_code=HTTPStatus.CREATED, summary=summary, responses=CHANGE)


@router.get("", summary="List my factors", responses=SESSION)
async def list_factors(principal: CustomerSession, factors: FactorsDep) -> FactorList:
    """Every factor kind, enrolled or not, with its lock and (recovery codes) how many are left."""
    return await factors.run(service.overview, principal.subject_id)


@_change("/totp", "Enrol an authenticator app (TOTP)")
async def enrol_totp(
    principal: CustomerSession,
    factors: FactorsDep,
    proof: ProofHeader = None,
    body: TotpEnrol | None = None,
) -> TotpEnrolmentOut:
    """A new secret, shown this once; the factor is `pending` until `POST /v1/factors/totp/verify` with a
    first code. An unconfirmed earlier enrolment is replaced."""
    account = (body.account_name if body else None) or principal.subject_id

    def work(runtime: Factors) -> TotpEnrolmentOut:
        service.authorize(runtime, principal, proof, ChangeAction.ENROL, Factor.TOTP)
        enrolment = runtime.totp.enrol(
            principal.subject_id, account, actor=session_actor(principal.session_id)
        )
        return TotpEnrolmentOut(secret=enrolment.secret, provisioning_uri=enrolment.provisioning_uri)

    return await factors.run(work)


@_change("/payment_password", "Set a payment password")
async def set_payment_password(
    body: PasswordSet, principal: CustomerSession, factors: FactorsDep, proof: ProofHeader = None
) -> FactorOut:
    """Stored as an Argon2id hash; refused (naming `password`) if too short, one repeated character, or one
    of the commonest PINs."""

    def work(runtime: Factors) -> FactorOut:
        service.authorize(runtime, principal, proof, ChangeAction.ENROL, Factor.PAYMENT_PASSWORD)
        runtime.password.set(principal.subject_id, body.password, actor=session_actor(principal.session_id))
        return FactorOut(factor="payment_password", status="active", locked_until=None)

    return await factors.run(work)


@_change("/recovery_code", "Generate recovery codes (shown once; earlier ones stop working)")
async def generate_recovery_codes(
    principal: CustomerSession, factors: FactorsDep, proof: ProofHeader = None
) -> RecoveryCodesOut:
    """Ten single-use codes; each verifies once, then is spent."""

    def work(runtime: Factors) -> RecoveryCodesOut:
        service.authorize(runtime, principal, proof, ChangeAction.ENROL, Factor.RECOVERY_CODE)
        generated = runtime.recovery.generate(principal.subject_id, actor=session_actor(principal.session_id))
        return RecoveryCodesOut(codes=list(generated.codes))

    return await factors.run(work)


@router.post(
    "/payment_password/change",
    summary="Change the payment password, proving the current one",
    responses={
        **VERIFY,
        422: problem_doc(
            "Invalid (`password` too weak), or `factor-verification-failed`: `current_password` is wrong "
            "(the failure is counted toward the lockout); `errors` names the field."
        ),
    },
)
async def change_payment_password(
    body: PasswordChange, principal: CustomerSession, factors: FactorsDep
) -> FactorOut:
    """The current password is this change's proof of presence (a factor verified for it, as a
    `TPW-Factor-Proof` would be), so no recent sign-in is asked; a wrong one counts toward the lockout like
    a failed verification, and a locked factor refuses the change (423) whatever is sent."""
    return await factors.run(service.change_password, principal, body.current_password, body.password)


@router.post("/totp/verify", summary="Verify (or confirm) the TOTP factor", responses=VERIFY)
async def verify_totp(body: TotpVerify, principal: CustomerSession, factors: FactorsDep) -> ProofOut:
    """A code of the current 30-second step or one either side, each accepted once; the first code of a
    pending enrolment activates it. With `purpose`, answers a factor proof."""
    return await _verify(factors, principal, Factor.TOTP, body.code, body)


@router.post("/payment_password/verify", summary="Verify the payment password", responses=VERIFY)
async def verify_payment_password(
    body: PasswordVerify, principal: CustomerSession, factors: FactorsDep
) -> ProofOut:
    """With `purpose`, answers a factor proof."""
    return await _verify(factors, principal, Factor.PAYMENT_PASSWORD, body.password, body)


@router.post("/recovery_code/verify", summary="Spend a recovery code", responses=VERIFY)
async def verify_recovery_code(
    body: RecoveryCodeVerify, principal: CustomerSession, factors: FactorsDep
) -> ProofOut:
    """The code is spent whether or not a proof is asked for. With `purpose`, answers a factor proof."""
    return await _verify(factors, principal, Factor.RECOVERY_CODE, body.recovery_code, body)


async def _verify(
    factors: Factors, principal: SessionPrincipal, factor: Factor, secret: str, body: ProofRequest
) -> ProofOut:
    return await factors.run(service.verify, principal, factor, secret, body.purpose, body.challenge)


@router.delete(
    "/{factor}",
    status_code=HTTPStatus.NO_CONTENT,
    summary="Revoke a factor",
    responses={**CHANGE, 404: problem_doc("`factor-not-enrolled`: the customer has no such factor.")},
)
async def revoke_factor(
    factor: FactorPath, principal: CustomerSession, factors: FactorsDep, proof: ProofHeader = None
) -> Response:
    """A sensitive change: a recent sign-in, or a factor proof for `revoke:<factor>`."""
    await factors.run(service.revoke, principal, proof, Factor(factor))
    return Response(status_code=HTTPStatus.NO_CONTENT)
