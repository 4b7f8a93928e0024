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

A passkey is answered in two calls: `POST .../verify-factor/passkey-options` (the same session) issues
WebAuthn request options whose challenge is bound to the intent's amount, currency and payee
(`risk.factors.passkey`), then `verify-factor` takes `{factor: "passkey", ceremony_id, credential}`. A
challenge unknown, spent, expired or of another intent is refused naming `ceremony_id`; a payment changed
since, naming `amount`, `currency` or `payee`; an assertion for another challenge, origin or RP id, by
another customer's passkey or with a sign counter that did not increase, naming `credential` (all 422
`factor-verification-failed`; the challenge is spent, nothing else moved).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from api.errors import ApiError, problem_doc
from api.payment_intents.schemas import (
    PasskeyOptionsOut,
    PaymentBindingOut,
    PaymentIntentOut,
    VerifyFactorIn,
)
from api.payment_intents.service import PaymentIntentNotFound, domain_call, intent_out
from api.risk.service import RiskUnavailable, invalid
from payments.intents.context import Payments
from payments.intents.guard.release import Answer, passkey_options
from payments.intents.guard.release import verify_factor as verify
from risk.factors.errors import FactorLocked, NotEnrolled, VerificationFailed
from risk.factors.model import Factor
from risk.factors.passkey import PasskeyAssertion, PasskeyRefused


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
    except (VerificationFailed, PasskeyRefused) as error:
        field = error.field or "code"
        locked_until = error.locked_until if isinstance(error, VerificationFailed) else None
        raise FactorRefused(
            error.detail, errors=[{"field": field, "message": error.detail}], locked_until=locked_until
        ) from error
    except FactorLocked as error:
        raise FactorLockedProblem(error.detail, until=error.until) from error
    except NotEnrolled as error:
        raise invalid("factor", error.detail) from error


def _answer(body: VerifyFactorIn) -> Answer:
    """The factor's answer in `body`: the passkey's assertion, or the code or password; 422 naming the
    field that is missing."""
    if body.factor == "passkey":
        if body.ceremony_id is None:
            raise invalid("ceremony_id", "a passkey is verified with the ceremony_id of its options")
        if body.credential is None:
            raise invalid("credential", "a passkey is verified with the assertion's credential")
        return PasskeyAssertion(body.ceremony_id, body.credential)
    field = _SECRET_FIELD[body.factor]
    secret = body.code if field == "code" else body.password
    if secret is None:
        raise invalid(field, f"a {body.factor} is verified with its {field}")
    return secret


def _risk_runs(payments: Payments) -> None:
    if payments.risk is None:
        raise RiskUnavailable("no risk engine runs on this server: there is no step-up to complete")


def verify_factor(
    payments: Payments, customer: str, intent_id: str, body: VerifyFactorIn
) -> PaymentIntentOut:
    """The customer's factor verified on its held intent, the confirmation resumed; refusals as problems."""
    _risk_runs(payments)
    answer = _answer(body)
    with _factor_problems():
        return intent_out(
            domain_call(
                PaymentIntentNotFound,
                lambda: verify(payments, customer, intent_id, Factor(body.factor), answer),
            )
        )


def passkey_options_for(payments: Payments, customer: str, intent_id: str) -> PasskeyOptionsOut:
    """Request options for the customer's passkey on its held intent, bound to the payment."""
    _risk_runs(payments)
    with _factor_problems():
        ceremony, binding = domain_call(
            PaymentIntentNotFound, lambda: passkey_options(payments, customer, intent_id)
        )
    return PasskeyOptionsOut(
        ceremony_id=ceremony.ceremony_id,
        options=ceremony.options,
        expires_at=ceremony.expires_at,
        payment=PaymentBindingOut(
            payment_intent=binding.reference,
            amount=binding.amount,
            currency=binding.currency,
            payee=binding.payee,
        ),
    )
