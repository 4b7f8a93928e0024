"""Refunds: partial then full, never beyond what was captured, one refund per refund id, per tenant."""

import pytest
from sqlalchemy import Engine

from payments.intents import intents, refunds
from payments.intents.context import Payments
from payments.intents.errors import InvalidAmount, InvalidRequest, NotFound, RailRefused, UnexpectedState
from payments.intents.model import FeeSchedule, PaymentIntent, RefundReason, RefundStatus
from tests.payments.intents.conftest import (
    OTHER,
    TENANT,
    ScriptedRail,
    assert_ledger_clean,
    clearing,
    fees,
    new_intent,
    posted,
)


def _captured(pay: Payments, amount: int = 10_000, capture: int | None = None) -> PaymentIntent:
    intent = new_intent(pay, amount, fee_schedule=FeeSchedule(bps=0, fixed=50))
    intents.confirm(pay, TENANT, intent.id)
    return intents.capture(pay, TENANT, intent.id, capture)


def test_partial_then_full_refund(pay: Payments, engine: Engine) -> None:
    intent = _captured(pay, capture=8_000)  # 2_000 released, fee 50
    first = refunds.refund(pay, TENANT, intent.id, 3_000, RefundReason.REQUESTED_BY_CUSTOMER)
    assert (first.amount, first.reason, first.status) == (
        3_000,
        RefundReason.REQUESTED_BY_CUSTOMER,
        "succeeded",
    )
    assert (posted(engine), fees(engine), clearing(engine)) == (8_000 - 50 - 3_000, 50, -8_000 + 3_000)
    assert_ledger_clean(engine)
    rest = refunds.refund(pay, TENANT, intent.id)
    assert rest.amount == 5_000
    after = intents.retrieve(pay, TENANT, intent.id)
    assert (after.amount_refunded, after.refundable) == (8_000, 0)
    # The platform keeps its fee: the merchant's balance is short by it.
    assert (posted(engine), fees(engine), clearing(engine)) == (-50, 50, 0)
    assert_ledger_clean(engine)
    assert refunds.retrieve_refund(pay, TENANT, first.id) == first


@pytest.mark.parametrize("amount", [8_001, 0, -1, 2**63])
def test_over_refund_and_bad_amounts_are_refused(pay: Payments, engine: Engine, amount: int) -> None:
    intent = _captured(pay, capture=8_000)
    with pytest.raises(InvalidAmount) as caught:
        refunds.refund(pay, TENANT, intent.id, amount)
    assert caught.value.field == "amount"
    refunds.refund(pay, TENANT, intent.id, 8_000)
    with pytest.raises(InvalidAmount):
        refunds.refund(pay, TENANT, intent.id, 1)
    assert_ledger_clean(engine)


def test_a_refund_id_given_again_refunds_once(pay: Payments, engine: Engine, rail: ScriptedRail) -> None:
    intent = _captured(pay)
    first = refunds.refund(pay, TENANT, intent.id, 1_000, refund_id="re_client_1")
    balance = posted(engine)
    assert refunds.refund(pay, TENANT, intent.id, 1_000, refund_id="re_client_1") == first
    assert refunds.refund(pay, TENANT, intent.id, refund_id="re_client_1") == first
    assert posted(engine) == balance
    assert intents.retrieve(pay, TENANT, intent.id).amount_refunded == 1_000
    assert [operation for operation, _ in rail.calls].count("refund") == 1
    with pytest.raises(InvalidRequest) as caught:
        refunds.refund(pay, TENANT, intent.id, 2_000, refund_id="re_client_1")
    assert caught.value.field == "refund_id"
    with pytest.raises(InvalidRequest):
        refunds.refund(pay, TENANT, intent.id, 1, refund_id="not a valid id")


def test_a_rail_refusing_the_refund_changes_nothing(
    pay: Payments, engine: Engine, rail: ScriptedRail
) -> None:
    intent = _captured(pay)
    balance = posted(engine)
    rail.refuse.add("refund")
    with pytest.raises(RailRefused):
        refunds.refund(pay, TENANT, intent.id, 100, refund_id="re_refused")
    assert posted(engine) == balance
    assert intents.retrieve(pay, TENANT, intent.id).amount_refunded == 0
    assert refunds.retrieve_refund(pay, TENANT, "re_refused").status is RefundStatus.FAILED
    assert_ledger_clean(engine)


@pytest.mark.parametrize("succeeded", [True, False])
def test_an_asynchronous_refund_holds_its_amount_until_the_rail_reports(
    pay: Payments, engine: Engine, rail: ScriptedRail, succeeded: bool
) -> None:
    intent = _captured(pay)
    balance = posted(engine)
    rail.defer.add("refund")
    pending = refunds.refund(pay, TENANT, intent.id, 1_000, refund_id="re_async")
    assert pending.status is RefundStatus.PENDING
    assert intents.retrieve(pay, TENANT, intent.id).refundable == 9_000  # the pending refund counts
    assert posted(engine) == balance  # held, not yet gone
    with pytest.raises(InvalidAmount):  # the held amount is not refundable twice
        refunds.refund(pay, TENANT, intent.id, 10_000)
    with pytest.raises(NotFound):
        refunds.complete_refund(pay, OTHER, pending.id, succeeded=True)
    done = refunds.complete_refund(pay, TENANT, pending.id, succeeded=succeeded)
    assert done.status is (RefundStatus.SUCCEEDED if succeeded else RefundStatus.FAILED)
    assert posted(engine) == (balance - 1_000 if succeeded else balance)
    assert intents.retrieve(pay, TENANT, intent.id).amount_refunded == (1_000 if succeeded else 0)
    with pytest.raises(UnexpectedState):  # a second report moves nothing
        refunds.complete_refund(pay, TENANT, pending.id, succeeded=not succeeded)
    assert posted(engine) == (balance - 1_000 if succeeded else balance)
    assert_ledger_clean(engine)


def test_another_tenant_can_neither_refund_nor_read(pay: Payments) -> None:
    intent = _captured(pay)
    refund = refunds.refund(pay, TENANT, intent.id, 100)
    with pytest.raises(NotFound):
        refunds.refund(pay, OTHER, intent.id, 100)
    with pytest.raises(NotFound):
        refunds.retrieve_refund(pay, OTHER, refund.id)
