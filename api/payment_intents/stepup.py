"""`POST /v1/payment-intents/{id}/verify-factor`: the customer's step-up on a confirmation the risk engine
held (`next_action.type = verify_factor`), with a session access token of the intent's customer (never an
API key: the merchant cannot pass the customer's factor).

No Idempotency-Key: a factor's code is spent once (a TOTP step, a recovery code) and the verified factor is
written on the intent before the rail is asked, so a retry after a lost answer resumes without a code
(`payments.intents.guard.release`), and one after the intent moved on answers 409 with its status.
Refusals: another customer's intent, or none, 404; a factor not offered, a missing code or password, 422
naming the field; a wrong code or password 422 `factor-verification-failed` (counted toward the factor's
lockout; `locked_until` when this failure locked it); a locked factor 423 `factor-locked` with `until` (use
a `fallback` factor); not enrolled 422 naming `factor`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from api.errors import ApiError, problem_doc
from api.payment_intents.schemas import PaymentIntentOut, VerifyFactorIn
from api.payment_intents.service import PaymentIntentNotFound, domain_call, intent_out
from api.risk.service import RiskUnavailable, invalid
from payments.intents.context import Payments
from payments.intents.guard.release import verify_factor as verify
from risk.factors.errors import FactorLocked, NotEnrolled, VerificationFailed
from risk.factors.model import Factor


class FactorRefused(ApiError, status=422, problem="factor-verification-failed", title="Factor refused"):
    """The code or password is wrong or used already; the failure was counted toward the lockout."""


class FactorLockedProblem(ApiError, status=423, problem="factor-locked", title="Factor locked"):
    """Too many failures: the factor refuses every attempt until `until` (unix seconds); use a fallback."""


_SECRET_FIELD: Final = {"totp": "code", "recovery_code": "code", "payment_password": "password"}
RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    401: problem_doc("No valid session access token."),
    404: problem_doc("No payment intent of this id is the signed-in customer's."),
    409: problem_doc("The intent does not wait for a factor (`intent_status` names its status)."),
    422: problem_doc("A field is missing or wrong, or the code or password is refused; `errors` names it."),
    423: problem_doc("The factor is locked after too many failures until `until`; use a fallback factor."),
    402: problem_doc("The rail refused; the factor stays verified and a retry resumes."),
    503: problem_doc("No risk engine runs on this server, or no client of the rail is configured."),
}


@contextmanager
def _factor_problems() -> Iterator[None]:
    try:
        yield
    except VerificationFailed as error:
        field = error.field or "code"
        raise FactorRefused(
            error.detail, errors=[{"field": field, "message": error.detail}], locked_until=error.locked_until
        ) from error
    except FactorLocked as error:
        raise FactorLockedProblem(error.detail, until=error.until) from error
    except NotEnrolled as error:
        raise invalid("factor", error.detail) from error


def verify_factor(
    payments: Payments, customer: str, intent_id: str, body: VerifyFactorIn
) -> PaymentIntentOut:
    """The customer's factor verified on its held intent, the confirmation resumed; refusals as problems."""
    if payments.risk is None:
        raise RiskUnavailable("no risk engine runs on this server: there is no step-up to complete")
    field = _SECRET_FIELD[body.factor]
    secret = body.code if field == "code" else body.password
    if secret is None:
        raise invalid(field, f"a {body.factor} is verified with its {field}")
    with _factor_problems():
        return intent_out(
            domain_call(
                PaymentIntentNotFound,
                lambda: verify(payments, customer, intent_id, Factor(body.factor), secret),
            )
        )
