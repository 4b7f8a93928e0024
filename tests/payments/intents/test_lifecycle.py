"""The intent's paths end to end, with the ledger checked after every step: manual and automatic capture,
partial capture, 3-D Secure, asynchronous payments, declines, failures and cancels."""

import pytest
from sqlalchemy import Engine

from payments.intents import intents
from payments.intents.context import Payments
from payments.intents.errors import InvalidAmount, InvalidRequest, NotFound, RailRefused
from payments.intents.model import CancellationReason, FeeSchedule, IntentStatus
from payments.intents.rails import OutcomeKind, RailOutcome
from tests.payments.intents.conftest import (
    CHALLENGE_URL,
    OTHER,
    TENANT,
    ScriptedRail,
    assert_ledger_clean,
    available,
    clearing,
    fees,
    new_intent,
    pending,
    posted,
)

S = IntentStatus


def test_manual_capture_holds_then_posts(pay: Payments, engine: Engine) -> None:
    intent = new_intent(pay)
    assert intent.status is S.REQUIRES_CONFIRMATION
    confirmed = intents.confirm(pay, TENANT, intent.id)
    assert (confirmed.status, confirmed.amount_capturable) == (S.REQUIRES_CAPTURE, 10_000)
    assert (posted(engine), pending(engine), available(engine)) == (0, 10_000, 0)
    assert_ledger_clean(engine)
    captured = intents.capture(pay, TENANT, intent.id)
    assert (captured.status, captured.amount_received, captured.amount_capturable) == (S.SUCCEEDED, 10_000, 0)
    assert (posted(engine), pending(engine), clearing(engine)) == (10_000, 0, -10_000)
    assert_ledger_clean(engine)
    assert intents.retrieve(pay, TENANT, intent.id) == captured


def test_partial_capture_releases_the_rest_and_charges_the_fee(pay: Payments, engine: Engine) -> None:
    # 2.9% + 30: 7_001 * 290 = 2_030_290 -> 203.029 rounds half up to 203, plus 30.
    intent = new_intent(pay, fee_schedule=FeeSchedule(bps=290, fixed=30))
    intents.confirm(pay, TENANT, intent.id)
    captured = intents.capture(pay, TENANT, intent.id, amount_to_capture=7_001)
    assert (captured.amount_received, captured.amount_fee) == (7_001, 233)
    assert (posted(engine), pending(engine), fees(engine)) == (7_001 - 233, 0, 233)
    assert clearing(engine) == -7_001
    assert_ledger_clean(engine)


def test_capture_beyond_capturable_is_refused(pay: Payments, engine: Engine) -> None:
    intent = new_intent(pay)
    intents.confirm(pay, TENANT, intent.id)
    for amount, error in [
        (10_001, InvalidAmount),
        (0, InvalidAmount),
        (-1, InvalidAmount),
        (2**63, InvalidAmount),
    ]:
        with pytest.raises(error) as caught:
            intents.capture(pay, TENANT, intent.id, amount_to_capture=amount)
        assert caught.value.field == "amount_to_capture"
    with pytest.raises(InvalidAmount):
        intents.capture(pay, TENANT, intent.id, amount_to_capture=1.5)  # type: ignore[arg-type]
    assert intents.retrieve(pay, TENANT, intent.id).status is S.REQUIRES_CAPTURE
    assert_ledger_clean(engine)


def test_automatic_capture_posts_at_once(pay: Payments, engine: Engine) -> None:
    intent = new_intent(pay, manual=False, fee_schedule=FeeSchedule(bps=100, fixed=0))
    done = intents.confirm(pay, TENANT, intent.id)
    assert (done.status, done.amount_received, done.amount_fee) == (S.SUCCEEDED, 10_000, 100)
    assert (posted(engine), pending(engine), fees(engine)) == (9_900, 0, 100)
    assert_ledger_clean(engine)


def test_three_d_secure_then_success(pay: Payments, engine: Engine) -> None:
    intent = new_intent(pay, method="pm_3ds")
    challenged = intents.confirm(pay, TENANT, intent.id)
    assert (challenged.status, challenged.next_action_url) == (S.REQUIRES_ACTION, CHALLENGE_URL)
    assert pending(engine) == 0
    resumed = intents.complete_action(pay, TENANT, intent.id, RailOutcome(OutcomeKind.AUTHORIZED))
    assert (resumed.status, resumed.next_action_url) == (S.REQUIRES_CAPTURE, None)
    assert pending(engine) == 10_000
    assert_ledger_clean(engine)


def test_processing_then_settled(pay: Payments, engine: Engine) -> None:
    intent = new_intent(pay, manual=False, method="pm_async")
    assert intents.confirm(pay, TENANT, intent.id).status is S.PROCESSING
    with pytest.raises(InvalidRequest) as caught:
        intents.complete_processing(pay, TENANT, intent.id, RailOutcome(OutcomeKind.PROCESSING))
    assert caught.value.field == "outcome"
    done = intents.complete_processing(pay, TENANT, intent.id, RailOutcome(OutcomeKind.SUCCEEDED))
    assert done.status is S.SUCCEEDED
    assert posted(engine) == 10_000
    assert_ledger_clean(engine)


def test_decline_returns_to_requires_payment_method_and_a_new_method_succeeds(
    pay: Payments, engine: Engine
) -> None:
    intent = new_intent(pay, method="pm_declined")
    declined = intents.confirm(pay, TENANT, intent.id)
    assert declined.status is S.REQUIRES_PAYMENT_METHOD
    assert (declined.payment_method, declined.last_payment_error) == (None, "insufficient_funds")
    with pytest.raises(InvalidRequest) as caught:
        intents.confirm(pay, TENANT, intent.id)
    assert caught.value.field == "payment_method"
    again = intents.confirm(pay, TENANT, intent.id, payment_method="pm_ok")
    assert (again.status, again.attempt, again.last_payment_error) == (S.REQUIRES_CAPTURE, 2, None)
    assert_ledger_clean(engine)


def test_terminal_failure(pay: Payments, engine: Engine) -> None:
    intent = new_intent(pay, method="pm_failed")
    failed = intents.confirm(pay, TENANT, intent.id)
    assert (failed.status, failed.last_payment_error) == (S.FAILED, "account_closed")
    assert (posted(engine), pending(engine)) == (0, 0)


def test_cancel_a_held_authorization_voids_it(pay: Payments, engine: Engine, rail: ScriptedRail) -> None:
    intent = new_intent(pay)
    intents.confirm(pay, TENANT, intent.id)
    canceled = intents.cancel(pay, TENANT, intent.id, CancellationReason.REQUESTED_BY_CUSTOMER)
    assert (canceled.status, canceled.cancellation_reason) == (
        S.CANCELED,
        CancellationReason.REQUESTED_BY_CUSTOMER,
    )
    assert canceled.amount_capturable == 0
    assert (posted(engine), pending(engine), clearing(engine)) == (0, 0, 0)
    assert rail.calls[-1][0] == "cancel"
    assert_ledger_clean(engine)


def test_a_rail_refusing_capture_changes_nothing(pay: Payments, engine: Engine, rail: ScriptedRail) -> None:
    intent = new_intent(pay)
    intents.confirm(pay, TENANT, intent.id)
    rail.refuse.add("capture")
    with pytest.raises(RailRefused):
        intents.capture(pay, TENANT, intent.id)
    assert intents.retrieve(pay, TENANT, intent.id).status is S.REQUIRES_CAPTURE
    assert pending(engine) == 10_000


def test_another_tenant_sees_nothing(pay: Payments) -> None:
    intent = new_intent(pay)
    live = type(TENANT)(TENANT.merchant_id, livemode=True)
    for tenant in (OTHER, live):
        with pytest.raises(NotFound):
            intents.retrieve(pay, tenant, intent.id)
        with pytest.raises(NotFound):
            intents.confirm(pay, tenant, intent.id)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 2**63}, "amount"),
        ({"amount": 10.0}, "amount"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "eur"}, "currency"),
        ({"currency": "ZZZ"}, "currency"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(
    pay: Payments, options: dict[str, object], field: str
) -> None:
    arguments: dict[str, object] = {"amount": 100, "currency": "EUR"} | options
    with pytest.raises((InvalidAmount, InvalidRequest)) as caught:
        intents.create(pay, TENANT, rail="card", **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_an_authorization_left_uncaptured_lapses(pay: Payments, engine: Engine, rail: ScriptedRail) -> None:
    old, recent, captured = (new_intent(pay) for _ in range(3))
    for intent in (old, recent, captured):
        intents.confirm(pay, TENANT, intent.id)
    intents.capture(pay, TENANT, captured.id)
    cutoff = intents.retrieve(pay, TENANT, old.id).updated_at + 1
    assert intents.expire_uncaptured(pay, OTHER, cutoff) == []
    assert intents.expire_uncaptured(pay, TENANT, cutoff) == [old.id]
    lapsed = intents.retrieve(pay, TENANT, old.id)
    assert (lapsed.status, lapsed.cancellation_reason) == (S.CANCELED, CancellationReason.AUTOMATIC)
    assert intents.retrieve(pay, TENANT, recent.id).status is S.REQUIRES_CAPTURE
    assert pending(engine) == 10_000  # the recent hold only
    assert_ledger_clean(engine)
