"""Disputes: opened (funds withheld), then won (reinstated) or lost (withdrawn), through the ledger."""

import pytest
from sqlalchemy import Engine

from payments.intents import disputes, intents, refunds
from payments.intents.context import Payments
from payments.intents.errors import InvalidAmount, NotFound
from payments.intents.model import DisputeStatus, PaymentIntent
from tests.payments.intents.conftest import OTHER, TENANT, assert_ledger_clean, available, new_intent, posted


def _captured(pay: Payments) -> PaymentIntent:
    intent = new_intent(pay, manual=False)
    return intents.confirm(pay, TENANT, intent.id)


@pytest.mark.parametrize("won", [True, False])
def test_a_dispute_withholds_then_reinstates_or_withdraws(pay: Payments, engine: Engine, won: bool) -> None:
    intent = _captured(pay)
    refunds.refund(pay, TENANT, intent.id, 1_000)
    dispute = disputes.open_dispute(pay, TENANT, intent.id, reason="fraudulent", dispute_id="dp_rail_1")
    assert (dispute.amount, dispute.status) == (9_000, DisputeStatus.OPEN)
    assert (posted(engine), available(engine)) == (9_000, 0)
    assert intents.retrieve(pay, TENANT, intent.id).refundable == 0
    with pytest.raises(InvalidAmount):
        refunds.refund(pay, TENANT, intent.id, 1)
    assert_ledger_clean(engine)
    closed = disputes.close_dispute(pay, TENANT, dispute.id, won=won)
    assert closed.status is (DisputeStatus.WON if won else DisputeStatus.LOST)
    assert closed == disputes.retrieve_dispute(pay, TENANT, dispute.id)
    expected = 9_000 if won else 0
    assert (posted(engine), available(engine)) == (expected, expected)
    assert intents.retrieve(pay, TENANT, intent.id).amount_disputed == (0 if won else 9_000)
    assert_ledger_clean(engine)


def test_a_partial_dispute_and_a_dispute_reported_twice(pay: Payments, engine: Engine) -> None:
    intent = _captured(pay)
    first = disputes.open_dispute(pay, TENANT, intent.id, 2_500, dispute_id="dp_rail_2")
    assert disputes.open_dispute(pay, TENANT, intent.id, 2_500, dispute_id="dp_rail_2") == first
    assert (posted(engine), available(engine)) == (10_000, 7_500)
    with pytest.raises(InvalidAmount):
        disputes.open_dispute(pay, TENANT, intent.id, 7_501)
    assert refunds.refund(pay, TENANT, intent.id).amount == 7_500
    assert_ledger_clean(engine)


def test_another_tenant_cannot_see_or_close_a_dispute(pay: Payments) -> None:
    intent = _captured(pay)
    dispute = disputes.open_dispute(pay, TENANT, intent.id)
    with pytest.raises(NotFound):
        disputes.close_dispute(pay, OTHER, dispute.id, won=True)
    with pytest.raises(NotFound):
        disputes.retrieve_dispute(pay, OTHER, dispute.id)
    with pytest.raises(NotFound):
        disputes.open_dispute(pay, OTHER, intent.id)
