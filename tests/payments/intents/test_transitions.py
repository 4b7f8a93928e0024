"""Every status x action pair: the allowed ones move the intent where Stripe does, the refused ones raise
`UnexpectedState` naming the status and change nothing, on the intent or on the ledger.

The expected table is written out here, from Stripe's documentation, independently of
`payments.intents.transitions.ALLOWED`, which the last test compares to it.
"""

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from ledger.schema import transfers
from payments.intents import disputes, intents, refunds
from payments.intents.context import Payments
from payments.intents.errors import UnexpectedState
from payments.intents.model import Action, IntentStatus, PaymentIntent
from payments.intents.rails import OutcomeKind, RailOutcome
from payments.intents.transitions import ALLOWED
from tests.payments.intents.conftest import TENANT, assert_ledger_clean, new_intent

S = IntentStatus
A = Action

# Where each allowed action leads (manual capture, payment method pm_ok, the rail's answer "authorized").
EXPECTED: dict[Action, dict[IntentStatus, IntentStatus]] = {
    A.ATTACH_PAYMENT_METHOD: {
        S.REQUIRES_PAYMENT_METHOD: S.REQUIRES_CONFIRMATION,
        S.REQUIRES_CONFIRMATION: S.REQUIRES_CONFIRMATION,
        S.REQUIRES_ACTION: S.REQUIRES_CONFIRMATION,
    },
    A.CONFIRM: {S.REQUIRES_PAYMENT_METHOD: S.REQUIRES_CAPTURE, S.REQUIRES_CONFIRMATION: S.REQUIRES_CAPTURE},
    A.COMPLETE_ACTION: {S.REQUIRES_ACTION: S.REQUIRES_CAPTURE},
    A.COMPLETE_PROCESSING: {S.PROCESSING: S.REQUIRES_CAPTURE},
    A.CAPTURE: {S.REQUIRES_CAPTURE: S.SUCCEEDED},
    A.CANCEL: {
        S.REQUIRES_PAYMENT_METHOD: S.CANCELED,
        S.REQUIRES_CONFIRMATION: S.CANCELED,
        S.REQUIRES_ACTION: S.CANCELED,
        S.REQUIRES_CAPTURE: S.CANCELED,
    },
    A.REFUND: {S.SUCCEEDED: S.SUCCEEDED},
    A.OPEN_DISPUTE: {S.SUCCEEDED: S.SUCCEEDED},
    # The risk engine's hold ends from `requires_action` only; what its end does (and that it needs a hold,
    # not a rail's challenge) is tests/payments/intents/test_guard.py's: here the status table alone.
    A.RESUME_CONFIRM: {S.REQUIRES_ACTION: S.REQUIRES_ACTION},
    A.RISK_REJECT: {S.REQUIRES_ACTION: S.FAILED},
}

AUTHORIZED = RailOutcome(OutcomeKind.AUTHORIZED)


def intent_in(pay: Payments, status: IntentStatus) -> PaymentIntent:
    """A manual-capture intent brought to `status` by the public calls."""
    method = {S.REQUIRES_ACTION: "pm_3ds", S.PROCESSING: "pm_async", S.FAILED: "pm_failed"}.get(
        status, "pm_ok"
    )
    intent = new_intent(pay, method=None if status is S.REQUIRES_PAYMENT_METHOD else method)
    if status is S.CANCELED:
        intent = intents.cancel(pay, TENANT, intent.id)
    elif status not in (S.REQUIRES_PAYMENT_METHOD, S.REQUIRES_CONFIRMATION):
        intent = intents.confirm(pay, TENANT, intent.id)
    if status is S.SUCCEEDED:
        intent = intents.capture(pay, TENANT, intent.id)
    assert intent.status is status
    return intent


ACTIONS: dict[Action, Callable[[Payments, str], Any]] = {
    A.ATTACH_PAYMENT_METHOD: lambda pay, id_: intents.attach_payment_method(pay, TENANT, id_, "pm_ok"),
    A.CONFIRM: lambda pay, id_: intents.confirm(pay, TENANT, id_, payment_method="pm_ok"),
    A.COMPLETE_ACTION: lambda pay, id_: intents.complete_action(pay, TENANT, id_, AUTHORIZED),
    A.COMPLETE_PROCESSING: lambda pay, id_: intents.complete_processing(pay, TENANT, id_, AUTHORIZED),
    A.CAPTURE: lambda pay, id_: intents.capture(pay, TENANT, id_),
    A.CANCEL: lambda pay, id_: intents.cancel(pay, TENANT, id_),
    A.REFUND: lambda pay, id_: refunds.refund(pay, TENANT, id_, 1),
    A.OPEN_DISPUTE: lambda pay, id_: disputes.open_dispute(pay, TENANT, id_, 1),
    A.RESUME_CONFIRM: lambda pay, id_: pay.step(TENANT, id_, A.RESUME_CONFIRM, lambda _, intent: intent),
    A.RISK_REJECT: lambda pay, id_: pay.step(
        TENANT, id_, A.RISK_REJECT, lambda _, intent: replace(intent, status=S.FAILED)
    ),
}


def _journal_size(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(transfers)) or 0


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", list(IntentStatus))
def test_every_status_and_action(pay: Payments, engine: Engine, status: IntentStatus, action: Action) -> None:
    intent = intent_in(pay, status)
    target = EXPECTED[action].get(status)
    if target is None:
        journal = _journal_size(engine)
        with pytest.raises(UnexpectedState) as caught:
            ACTIONS[action](pay, intent.id)
        assert (caught.value.status, caught.value.action) == (str(status), str(action))
        assert str(status) in str(caught.value)
        assert intents.retrieve(pay, TENANT, intent.id) == intent
        assert _journal_size(engine) == journal
    else:
        ACTIONS[action](pay, intent.id)
        assert intents.retrieve(pay, TENANT, intent.id).status is target
    assert_ledger_clean(engine)


@pytest.mark.parametrize("won", [True, False])
def test_a_dispute_closes_once(pay: Payments, won: bool) -> None:
    intent = intent_in(pay, S.SUCCEEDED)
    dispute = disputes.open_dispute(pay, TENANT, intent.id)
    closed = disputes.close_dispute(pay, TENANT, dispute.id, won=won)
    for again in (True, False):
        with pytest.raises(UnexpectedState) as caught:
            disputes.close_dispute(pay, TENANT, dispute.id, won=again)
        assert caught.value.status == str(closed.status)


def test_the_implementation_table_is_the_expected_one() -> None:
    assert {action: set(EXPECTED[action]) for action in Action} == {
        action: set(ALLOWED[action]) for action in Action
    }
