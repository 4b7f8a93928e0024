"""The risk engine in front of confirm, in the domain (no HTTP): each outcome moves the intent as it says
(allow to the rail, step-up and review held, deny failed), a hold is no rail's to end, and it goes with a
cancel or a new payment method. The shipped rule file decides; the e2e cases are in tests/api/risk."""

import json
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, select

import risk.audit.schema
import risk.cases.schema
import risk.decisions.schema
import risk.factors.schema
import risk.identity.schema
import risk.kyc.schema
from payments.intents import intents
from payments.intents.context import Payments
from payments.intents.errors import InvalidRequest, UnexpectedState
from payments.intents.guard.facts import device_known
from payments.intents.guard.gate import RiskGate, RiskSignals
from payments.intents.guard.release import resume, review_handler
from payments.intents.model import IntentStatus, PaymentIntent
from payments.intents.rails import OutcomeKind, RailOutcome
from risk.cases import CaseStatus, get_case, resolve
from risk.decisions.schema import risk_decisions
from risk.engine import CidrTable, RiskEngine, RuleSource
from risk.factors.lockout import LockoutPolicy
from risk.factors.passwords import PaymentPassword
from risk.factors.recovery import RecoveryCodes
from risk.identity.identities import create_identity
from risk.kyc.assignments import Tiers
from risk.kyc.tiers import Tier
from tests.payments.intents.conftest import TENANT, ScriptedRail, new_intent
from tests.risk.engine.conftest import SHIPPED_COUNTRIES, SHIPPED_RULES, T0, Clock
from tests.risk.factors.conftest import cheap_hasher

S = IntentStatus
HIGH_VALUE, SMALL = 250_000, 1_000


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gate(engine: Engine, clock: Clock) -> RiskGate:
    for metadata in (
        risk.identity.schema.metadata,
        risk.kyc.schema.metadata,
        risk.factors.schema.metadata,
        risk.decisions.schema.metadata,
        risk.cases.schema.metadata,
        risk.audit.schema.metadata,
    ):
        metadata.create_all(engine)
    policy = LockoutPolicy()
    return RiskGate(
        engine=RiskEngine(RuleSource(SHIPPED_RULES, clock), CidrTable.from_csv(SHIPPED_COUNTRIES)),
        passwords=PaymentPassword(engine, policy, clock, hasher=cheap_hasher()),
        recovery=RecoveryCodes(engine, policy, clock),
        policy=policy,
        clock=clock,
    )


@pytest.fixture
def guarded(pay: Payments, gate: RiskGate) -> Payments:
    return replace(pay, risk=gate)


@pytest.fixture
def customer(engine: Engine, gate: RiskGate, clock: Clock) -> str:
    with engine.begin() as connection:
        subject = create_identity(connection, "customer", T0 - 400 * 86_400).id
    Tiers(engine, clock=lambda: clock.now * 1000).set_tier(subject, Tier.FULL, actor="desk", reason="checked")
    gate.passwords.set(subject, "blue-otter-42")
    return subject


def confirmed(payments: Payments, customer: str, amount: int, **signals: Any) -> PaymentIntent:
    intent = new_intent(payments, amount, manual=False, customer=customer)
    return intents.confirm(payments, TENANT, intent.id, signals=RiskSignals(**signals))


def action_of(intent: PaymentIntent) -> dict[str, object]:
    assert intent.risk_action is not None
    loaded: dict[str, object] = json.loads(intent.risk_action)
    return loaded


def test_allow_goes_to_the_rail_with_its_exemption(
    guarded: Payments, customer: str, rail: ScriptedRail
) -> None:
    paid = confirmed(guarded, customer, SMALL)
    assert (paid.status, paid.sca_exemption, paid.risk_action) == (S.SUCCEEDED, "low_value", None)
    assert paid.risk_decision is not None
    assert len(rail.calls) == 1


def test_step_up_holds_with_the_fallback_when_totp_is_unavailable(
    guarded: Payments, customer: str, rail: ScriptedRail
) -> None:
    held = confirmed(guarded, customer, HIGH_VALUE)
    action = action_of(held)
    assert (held.status, action["type"], action["factors"], action["fallback"]) == (
        S.REQUIRES_ACTION,
        "verify_factor",
        [],
        ["payment_password"],
    )
    assert action["fallback_reason"] == "totp: unavailable"
    assert rail.calls == []


def test_review_opens_a_case_on_the_intent(
    guarded: Payments, engine: Engine, customer: str, rail: ScriptedRail
) -> None:
    held = confirmed(guarded, customer, SMALL, device_id="dev_new")
    action = action_of(held)
    with engine.connect() as connection:
        case = get_case(connection, str(action["case"]))
    assert (case.subject_id, case.decision_id, case.status) == (held.id, held.risk_decision, CaseStatus.OPEN)
    assert rail.calls == []


def test_only_a_device_whose_signature_verified_becomes_known(
    guarded: Payments, engine: Engine, customer: str, rail: ScriptedRail
) -> None:
    assert confirmed(guarded, customer, SMALL).status is S.SUCCEEDED  # no device: the payee becomes known
    signed = confirmed(guarded, customer, SMALL, device_id="dev_signed", device_verified=True)
    claimed = confirmed(guarded, customer, SMALL, device_id="dev_claimed")
    assert (signed.status, claimed.status) == (S.SUCCEEDED, S.SUCCEEDED)
    with engine.connect() as connection:
        assert device_known(connection, customer, "dev_signed")
        assert not device_known(connection, customer, "dev_claimed"), "a claim went ahead, yet proves nothing"


def test_deny_fails_naming_the_rule(
    guarded: Payments, engine: Engine, rail: ScriptedRail, gate: RiskGate
) -> None:
    with engine.begin() as connection:
        nobody = create_identity(connection, "customer", T0).id
    failed = confirmed(guarded, nobody, SMALL)
    assert (failed.status, failed.last_payment_error, failed.risk_action) == (
        S.FAILED,
        "risk_denied:kyc-tier-none",
        None,
    )
    with engine.connect() as connection:
        outcome = connection.scalar(
            select(risk_decisions.c.outcome).where(risk_decisions.c.id == failed.risk_decision)
        )
    assert outcome == "deny"
    assert rail.calls == []


def test_an_unknown_customer_is_refused_at_creation(guarded: Payments, gate: RiskGate) -> None:
    with pytest.raises(InvalidRequest) as refused:
        new_intent(guarded, SMALL, customer="idn_" + "0" * 32)
    assert refused.value.field == "customer"


def test_an_intent_without_a_customer_is_not_assessed(
    guarded: Payments, engine: Engine, gate: RiskGate
) -> None:
    paid = intents.confirm(guarded, TENANT, new_intent(guarded, HIGH_VALUE, manual=False).id)
    assert (paid.status, paid.risk_decision) == (S.SUCCEEDED, None)


def test_a_hold_is_no_rails_to_end_and_goes_with_a_cancel(
    guarded: Payments, customer: str, rail: ScriptedRail
) -> None:
    held = confirmed(guarded, customer, HIGH_VALUE)
    with pytest.raises(UnexpectedState):
        intents.complete_action(guarded, TENANT, held.id, RailOutcome(OutcomeKind.SUCCEEDED))
    canceled = intents.cancel(guarded, TENANT, held.id)
    assert (canceled.status, canceled.risk_action) == (S.CANCELED, None)
    assert rail.calls == [], "the rail never heard of it: nothing to cancel there"


def test_a_new_payment_method_drops_the_hold_and_is_assessed_afresh(
    guarded: Payments, customer: str, rail: ScriptedRail
) -> None:
    held = confirmed(guarded, customer, SMALL, device_id="dev_new")
    attached = intents.attach_payment_method(guarded, TENANT, held.id, "pm_ok")
    assert (attached.status, attached.risk_action) == (S.REQUIRES_CONFIRMATION, None)
    again = intents.confirm(guarded, TENANT, held.id)
    assert again.status is S.SUCCEEDED
    assert again.risk_decision != held.risk_decision


def test_a_rails_challenge_is_not_resumed_as_a_hold(guarded: Payments, rail: ScriptedRail) -> None:
    challenged = intents.confirm(guarded, TENANT, new_intent(guarded, SMALL, method="pm_3ds").id)
    assert (challenged.status, challenged.risk_action) == (S.REQUIRES_ACTION, None)
    with pytest.raises(UnexpectedState):
        resume(guarded, TENANT, challenged)
    assert [operation for operation, _ in rail.calls] == ["authorize"]


def test_a_case_decided_twice_resumes_the_intent_once(
    guarded: Payments, engine: Engine, customer: str, rail: ScriptedRail
) -> None:
    held = confirmed(guarded, customer, SMALL, device_id="dev_new")
    with engine.begin() as connection:
        case, _ = resolve(
            connection, str(action_of(held)["case"]), approve=True, operator="op", note="ok", now=T0
        )
    handler = review_handler(guarded)
    handler(case)
    handler(case)
    assert intents.retrieve(guarded, TENANT, held.id).status is S.SUCCEEDED
    assert [operation for operation, _ in rail.calls] == ["authorize"]
