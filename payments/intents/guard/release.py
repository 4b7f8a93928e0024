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

REVIEW_REJECTED: Final = "risk_review_rejected"


def owner_of(payments: Payments, intent_id: str) -> tuple[Tenant, PaymentIntent]:
    """The intent `intent_id` of whichever merchant, for the customer and operator paths."""
    with payments.engine.connect() as connection:
        tenant = store.intent_owner(connection, intent_id)
        if tenant is None:
            raise NotFound(f"no payment intent {intent_id}", field="payment_intent")
        return tenant, store.load(connection, tenant, intent_id)


def _waiting(intent: PaymentIntent, kind: str) -> dict[str, Any]:
    action = waiting_for(intent) if intent.status is IntentStatus.REQUIRES_ACTION else None
    if action is None or action["type"] != kind:
        raise UnexpectedState(intent.id, str(intent.status), f"{Action.RESUME_CONFIRM} ({kind})")
    return action


def _verify(gate: RiskGate, factor: Factor, customer: str, secret: str) -> None:
    if factor is Factor.TOTP:
        if gate.totp is None:
            raise NotEnrolled(factor, customer)
        gate.totp.verify(customer, secret)
    elif factor is Factor.PAYMENT_PASSWORD:
        gate.passwords.verify(customer, secret)
    else:
        gate.recovery.use(customer, secret)


def verify_factor(
    payments: Payments, customer: str, intent_id: str, factor: Factor, secret: str
) -> PaymentIntent:
    """The customer's step-up on its intent: verify `factor` with `secret`, then resume the confirmation."""
    gate = payments.risk
    assert gate is not None, "the caller checks that a risk engine is configured"
    tenant, intent = owner_of(payments, intent_id)
    if intent.customer != customer:
        raise NotFound(f"no payment intent {intent_id}", field="payment_intent")
    action = _waiting(intent, "verify_factor")
    if "verified" not in action:
        offered = (*action["factors"], *action["fallback"])
        if str(factor) not in offered:
            raise InvalidRequest(
                f"{factor} is not offered for this payment; use one of {', '.join(offered)}", field="factor"
            )
        _verify(gate, factor, customer, secret)
        gate.engine.sca_completed(customer)
        verified = canonical_json({**action, "verified": str(factor)}).decode()

        def mark(_: Connection, held: PaymentIntent) -> PaymentIntent:
            if held.risk_action != intent.risk_action:
                raise UnexpectedState(held.id, str(held.status), Action.RESUME_CONFIRM)
            return replace(held, risk_action=verified)

        intent = payments.step(tenant, intent_id, Action.RESUME_CONFIRM, mark, intent)
    return resume(payments, tenant, intent)


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
            action = _waiting(intent, "risk_review")
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
