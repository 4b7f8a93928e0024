"""Asking the risk engine before a confirmation reaches the rail, and holding the intent on its answer.

`allow`: the confirmation goes on to the rail; the decision (with the SCA exemption granted) is written in
the transaction that stores the rail's answer. `step_up`: the intent waits in `requires_action` with
`next_action {type: verify_factor, factors, fallback}`; `review`: a case is opened and the intent waits with
`next_action {type: risk_review, case}`; `deny`: the intent `failed`, `last_payment_error`
`risk_denied:<rule>`. A held or failed intent's decision, case and audit records commit with its status in
one transaction; the rail is not asked.

A step-up offers the decision's factors this server can verify for the payment (a passkey, TOTP, the
payment password) that the customer can use now (enrolled, not locked), and as `fallback` every other
usable one (`risk.factors.fallback`); when none is usable the confirmation goes to review instead: never a
silent pass. A customer with a passkey is asked for it first whenever the rule asks for a possession or
inherence factor (`POSSESSION_OR_INHERENCE`): its assertion is bound to this payment's amount and payee
(`risk.factors.passkey`), the strongest answer we can take; a customer without one sees the step-up as
before, and a server without a relying party offers the fallback with the reason `passkey: unavailable`.
Actions the engine held (step-up, review) count in its velocity windows as attempts; a denied one does not.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Final

from sqlalchemy import Connection, Engine

from chain.files import canonical_json
from payments.intents.context import Payments
from payments.intents.guard import facts
from payments.intents.guard.gate import RiskGate, RiskSignals
from payments.intents.model import Action, IntentStatus, PaymentIntent
from payments.merchants.tenant import Tenant
from risk.cases import SubjectKind, open_case
from risk.decisions import record_decision
from risk.engine import Assessment, Decision, Outcome
from risk.factors.errors import NoFactorAvailable
from risk.factors.fallback import FALLBACK_ORDER, available_factors, choose
from risk.factors.model import POSSESSION_OR_INHERENCE, Factor, FactorStatus
from risk.factors.passkey import passkey_status

VERIFIABLE: Final = {str(factor): factor for factor in (Factor.PASSKEY, Factor.TOTP, Factor.PAYMENT_PASSWORD)}
"""The engine's step-up factors a customer can verify for a payment here."""
S = IntentStatus


@dataclass(frozen=True)
class Verdict:
    """The engine's decision on one confirmation, and what it was asked (at `now`, unix seconds)."""

    assessment: Assessment
    decision: Decision
    now: int

    @property
    def holds(self) -> bool:
        return self.decision.outcome is not Outcome.ALLOW


def assess(payments: Payments, intent: PaymentIntent, signals: RiskSignals) -> Verdict | None:
    """The engine's verdict on confirming `intent` (its payment method set), or None when no engine is
    configured or the intent names no customer (there is nobody to assess or to step up)."""
    gate = payments.risk
    if gate is None or intent.customer is None:
        return None
    now = gate.clock()
    with payments.engine.connect() as connection:
        asked = facts.assessment(connection, gate, intent, signals, now)
    return Verdict(asked, gate.engine.decide(asked), now)


def preferred_order(asked: list[Factor], passkey: FactorStatus) -> list[Factor]:
    """The factors asked for, in the order to offer them: a customer's passkey first when the rule asks for
    a possession or inherence factor; without a passkey, the others in the rule's order (so a customer who
    never registered one is stepped up as if passkeys did not exist)."""
    others: list[Factor] = [factor for factor in asked if factor is not Factor.PASSKEY]
    if passkey.enrolled and POSSESSION_OR_INHERENCE.intersection(asked):
        return [Factor.PASSKEY, *others]
    return others


def factor_action(
    engine: Engine, gate: RiskGate, customer: str, decision: Decision, now: int
) -> dict[str, Any]:
    """The step-up's `next_action`: `factors`, the engine's factors the customer can use now, preferred
    first; `fallback`, every other usable one, the fallback policy's choice first
    (`risk.factors.fallback.choose`), with `fallback_reason` when the preferred factor is unavailable.
    `NoFactorAvailable` when none is usable."""
    with engine.connect() as connection:
        passkey = passkey_status(connection, customer)
    statuses = (passkey, *available_factors(engine, customer, now))
    unavailable = {
        factor
        for factor, service in ((Factor.TOTP, gate.totp), (Factor.PASSKEY, gate.passkeys))
        if service is None
    }
    preferred = preferred_order(
        [VERIFIABLE[name] for name in decision.factors if name in VERIFIABLE], passkey
    )
    choice = choose(preferred[0] if preferred else FALLBACK_ORDER[0], statuses, now, unavailable=unavailable)
    usable = [
        status.factor
        for status in statuses
        if status.unusable_reason(now) is None and status.factor not in unavailable
    ]
    offered = [factor for factor in preferred if factor in usable]
    others = [factor for factor in usable if factor not in offered]
    fallback = sorted(others, key=lambda factor: factor != choice.factor)
    return {
        "type": "verify_factor",
        "factors": [str(factor) for factor in offered],
        "fallback": [str(factor) for factor in fallback],
        "fallback_reason": choice.fallback_reason,
        "asked": list(decision.factors),
    }


def _reasons(decision: Decision) -> list[dict[str, Any]]:
    return [
        {"rule": r.rule, "text": r.text, "outcome": r.outcome.label, "score": r.score}
        for r in decision.reasons
    ]


def hold(payments: Payments, tenant: Tenant, verdict: Verdict, seen: PaymentIntent) -> PaymentIntent:
    """Hold (or fail) the confirmation of `seen` as the verdict says, in one transaction with the decision,
    its case and their audit records."""
    gate = payments.risk
    assert gate is not None
    assert seen.customer is not None
    decision, now = verdict.decision, verdict.now
    action: dict[str, Any] | None = None
    extra: list[dict[str, Any]] = []
    if decision.outcome is Outcome.STEP_UP:
        try:
            action = factor_action(payments.engine, gate, seen.customer, decision, now)
        except NoFactorAvailable as error:
            extra.append(
                {"rule": "step-up-unavailable", "text": error.detail, "outcome": "review", "score": 0}
            )

    def change(connection: Connection, intent: PaymentIntent) -> PaymentIntent:
        record = record_decision(
            connection, verdict.assessment, decision, now=now, actor=gate.actor, reference=intent.id
        )
        base = replace(
            intent,
            payment_method=seen.payment_method,
            risk_decision=record.id,
            next_action_url=None,
            last_payment_error=None,
        )
        if decision.outcome is Outcome.DENY:
            return replace(base, status=S.FAILED, last_payment_error=f"risk_denied:{record.first_rule}"[:255])
        held = action
        if held is None:
            case = open_case(
                connection,
                SubjectKind.PAYMENT_INTENT,
                intent.id,
                _reasons(decision) + extra,
                record.id,
                opened_by=gate.actor,
                now=now,
            )
            held = {"type": "risk_review", "case": case.id}
        held = {**held, "decision": record.id}
        return replace(base, status=S.REQUIRES_ACTION, risk_action=canonical_json(held).decode())

    after = payments.step(tenant, seen.id, Action.CONFIRM, change, seen)
    if decision.outcome is not Outcome.DENY:
        gate.engine.record(verdict.assessment, decision)
    return after


def allowed(verdict: Verdict | None, actor: str) -> Callable[[Connection, PaymentIntent], PaymentIntent]:
    """The step's last touch on an intent the engine allowed: its decision recorded (in the step's
    transaction) and named on the intent with the SCA exemption it went ahead under."""

    def touch(connection: Connection, intent: PaymentIntent) -> PaymentIntent:
        if verdict is None:
            return intent
        record = record_decision(
            connection,
            verdict.assessment,
            verdict.decision,
            now=verdict.now,
            actor=actor,
            reference=intent.id,
        )
        return replace(intent, risk_decision=record.id, sca_exemption=record.exemption)

    return touch


def went_ahead(payments: Payments, verdict: Verdict | None) -> None:
    """The allowed confirmation was stored: the engine's windows count it."""
    if verdict is not None and payments.risk is not None:
        payments.risk.engine.record(verdict.assessment, verdict.decision)


def waiting_for(intent: PaymentIntent) -> dict[str, Any] | None:
    """What the engine's hold on `intent` waits for (its `next_action`), or None if it holds nothing."""
    if intent.risk_action is None:
        return None
    action: dict[str, Any] = json.loads(intent.risk_action)
    return action
