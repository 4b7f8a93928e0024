"""Ending the risk engine's hold on a confirmation: the customer verifies the factor asked for, or an
operator decides the review case; then the confirmation resumes at the rail, or the intent fails.

`verify_factor` checks, in order: the intent is the customer's (another customer's is not found, as one
that does not exist), it waits for a factor, the factor is one offered (`factors` or `fallback`); then the
factor's own service verifies the code or password (a wrong one is refused and counted toward the factor's
lockout; a locked factor refuses even the right one). A success is written on the intent first
(`verified`), so a resumption the rail failed is retried without a second code. The resumption asks the
rail under the next attempt's key and stores its answer as a confirmation would (`intents._authorized`).
"""

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Final

from sqlalchemy import Connection

from chain.files import canonical_json
from payments.intents import store
from payments.intents.context import Payments, rail_request
from payments.intents.errors import InvalidRequest, NotFound, UnexpectedState
from payments.intents.guard.gate import RiskGate
from payments.intents.guard.hold import waiting_for
from payments.intents.intents import _authorized
from payments.intents.model import Action, CaptureMethod, IntentStatus, PaymentIntent
from payments.merchants.tenant import Tenant
from risk.cases import Case, CaseStatus, SubjectKind
from risk.factors.errors import NotEnrolled
from risk.factors.model import Factor
from risk.factors.passkey import PasskeyAssertion, PaymentBinding
from risk.identity.passkeys import CeremonyOptions

REVIEW_REJECTED: Final = "risk_review_rejected"
Answer = str | PasskeyAssertion
"""A factor's answer: the code or password, or for a passkey the assertion over the payment's challenge."""


def owner_of(payments: Payments, intent_id: str) -> tuple[Tenant, PaymentIntent]:
    """The intent `intent_id` of whichever merchant, for the customer and operator paths."""
    with payments.engine.connect() as connection:
        tenant = store.intent_owner(connection, intent_id)
        if tenant is None:
            raise NotFound(f"no payment intent {intent_id}", field="payment_intent")
        return tenant, store.load(connection, tenant, intent_id)


def waiting_action(intent: PaymentIntent, kind: str) -> dict[str, Any]:
    """The engine's hold on `intent` if it waits for `kind` (`verify_factor`, `risk_review`); else
    `UnexpectedState` naming its status."""
    action = waiting_for(intent) if intent.status is IntentStatus.REQUIRES_ACTION else None
    if action is None or action["type"] != kind:
        raise UnexpectedState(intent.id, str(intent.status), f"{Action.RESUME_CONFIRM} ({kind})")
    return action


def binding(tenant: Tenant, intent: PaymentIntent) -> PaymentBinding:
    """What a passkey step-up on `intent` authorizes (PSD2 dynamic linking): its amount and currency, to its
    merchant in its mode, for this very intent."""
    return PaymentBinding(
        reference=intent.id,
        amount=intent.amount,
        currency=intent.currency,
        payee=f"{tenant.merchant_id}:{tenant.mode}",
    )


def _verify(gate: RiskGate, tenant: Tenant, intent: PaymentIntent, factor: Factor, answer: Answer) -> None:
    customer = str(intent.customer)
    if factor is Factor.PASSKEY or isinstance(answer, PasskeyAssertion):
        if gate.passkeys is None or not isinstance(answer, PasskeyAssertion) or factor is not Factor.PASSKEY:
            raise NotEnrolled(factor, customer)
        gate.passkeys.verify(customer, binding(tenant, intent), answer)
    elif factor is Factor.TOTP:
        if gate.totp is None:
            raise NotEnrolled(factor, customer)
        gate.totp.verify(customer, answer)
    elif factor is Factor.PAYMENT_PASSWORD:
        gate.passwords.verify(customer, answer)
    else:
        gate.recovery.use(customer, answer)


def customers_intent(payments: Payments, customer: str, intent_id: str) -> tuple[Tenant, PaymentIntent]:
    """The intent `intent_id` if it is `customer`'s; another customer's is not found, as one that does not
    exist (nobody learns which intents exist)."""
    tenant, intent = owner_of(payments, intent_id)
    if intent.customer != customer:
        raise NotFound(f"no payment intent {intent_id}", field="payment_intent")
    return tenant, intent


def offered(action: dict[str, Any], factor: Factor) -> None:
    """Refuse `factor` unless the step-up `action` offers it (in `factors` or `fallback`)."""
    factors = (*action["factors"], *action["fallback"])
    if str(factor) not in factors:
        raise InvalidRequest(
            f"{factor} is not offered for this payment; use one of {', '.join(factors)}", field="factor"
        )


def verify_factor(
    payments: Payments, customer: str, intent_id: str, factor: Factor, answer: Answer
) -> PaymentIntent:
    """The customer's step-up on its intent: verify `factor` with `answer` (a code or password, or a
    passkey's assertion), then resume the confirmation."""
    gate = payments.risk
    assert gate is not None, "the caller checks that a risk engine is configured"
    tenant, intent = customers_intent(payments, customer, intent_id)
    action = waiting_action(intent, "verify_factor")
    if "verified" not in action:
        offered(action, factor)
        _verify(gate, tenant, intent, factor, answer)
        gate.engine.sca_completed(customer)
        verified = canonical_json({**action, "verified": str(factor)}).decode()

        def mark(_: Connection, held: PaymentIntent) -> PaymentIntent:
            if held.risk_action != intent.risk_action:
                raise UnexpectedState(held.id, str(held.status), Action.RESUME_CONFIRM)
            return replace(held, risk_action=verified)

        intent = payments.step(tenant, intent_id, Action.RESUME_CONFIRM, mark, intent)
    return resume(payments, tenant, intent)


def passkey_options(
    payments: Payments, customer: str, intent_id: str
) -> tuple[CeremonyOptions, PaymentBinding]:
    """WebAuthn request options for the customer's passkey step-up on its held intent, their challenge
    bound to the intent's amount, currency and payee; refused as `verify_factor` would refuse the factor
    (not the customer's, not waiting for a factor, passkey not offered). The binding comes with them, for
    the customer to be shown what the passkey authorizes."""
    gate = payments.risk
    assert gate is not None, "the caller checks that a risk engine is configured"
    tenant, intent = customers_intent(payments, customer, intent_id)
    action = waiting_action(intent, "verify_factor")
    if "verified" in action:
        raise UnexpectedState(intent.id, str(intent.status), "passkey options (a factor is verified already)")
    offered(action, Factor.PASSKEY)
    if gate.passkeys is None:
        raise NotEnrolled(Factor.PASSKEY, customer)
    bound = binding(tenant, intent)
    return gate.passkeys.options(customer, bound), bound


def resume(payments: Payments, tenant: Tenant, seen: PaymentIntent) -> PaymentIntent:
    """The held confirmation of `seen` at the rail, and the rail's answer stored; refused unless the risk
    engine holds it (a rail's own challenge ends with the rail's report, `intents.complete_action`)."""
    if seen.risk_action is None:
        raise UnexpectedState(seen.id, str(seen.status), Action.RESUME_CONFIRM)
    attempt = seen.attempt + 1
    automatic = seen.capture_method is CaptureMethod.AUTOMATIC
    outcome = payments.rail(seen.rail).authorize(
        rail_request(seen, f"authorize:{attempt}", seen.amount, capture=automatic)
    )

    def authorized(connection: Connection, intent: PaymentIntent) -> PaymentIntent:
        if intent.risk_action != seen.risk_action:
            raise UnexpectedState(intent.id, str(intent.status), Action.RESUME_CONFIRM)
        return _authorized(connection, replace(intent, attempt=attempt, risk_action=None), outcome)

    return payments.step(tenant, seen.id, Action.RESUME_CONFIRM, authorized, seen)


def review_handler(payments: Payments) -> Callable[[Case], None]:
    """The `payment_intent` cases' resolution handler (`risk.cases.Resolutions`): an approved case resumes
    the confirmation it holds, a rejected one fails the intent. Idempotent: an intent no longer held by
    this case (resumed, rejected, its payment method replaced, canceled) is left as it is."""

    def resolved(case: Case) -> None:
        if case.subject_kind is not SubjectKind.PAYMENT_INTENT:
            return
        try:
            tenant, intent = owner_of(payments, case.subject_id)
            action = waiting_action(intent, "risk_review")
        except (NotFound, UnexpectedState):
            return
        if action["case"] != case.id:
            return
        if case.status is CaseStatus.APPROVED:
            resume(payments, tenant, intent)
            return

        def rejected(_: Connection, held: PaymentIntent) -> PaymentIntent:
            if held.risk_action != intent.risk_action:
                raise UnexpectedState(held.id, str(held.status), Action.RISK_REJECT)
            return replace(
                held, status=IntentStatus.FAILED, risk_action=None, last_payment_error=REVIEW_REJECTED
            )

        payments.step(tenant, intent.id, Action.RISK_REJECT, rejected, intent)

    return resolved
