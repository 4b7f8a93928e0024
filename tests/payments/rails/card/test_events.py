"""The processor's webhooks applied to the payment intents, on SQLite and PostgreSQL: a 3-D Secure result
resumes its intent once, a dispute opens once, a stale result for a dropped payment method changes nothing."""

import httpx
import pytest

from payments.intents import intents
from payments.intents.context import Payments
from payments.intents.errors import InvalidRequest
from payments.intents.model import CaptureMethod, IntentStatus, RailKind
from payments.merchants.tenant import Tenant
from payments.rails.card import events
from payments.rails.card.client import CardProcessorClient
from payments.rails.card.payment_methods import CardDetails, tokenize
from tests.helpers.card_processor import TEST_CARDS, CardProcessor
from tests.payments.intents.conftest import assert_ledger_clean
from tests.payments.rails.card.conftest import queued_events

TENANT = Tenant("acct_merchant_a", livemode=False)


def _intent(pay: Payments, client: CardProcessorClient, card: str, manual: bool = False) -> str:
    token = tokenize(client, TENANT, CardDetails(TEST_CARDS[card], 12, 2034, "123")).id
    capture = CaptureMethod.MANUAL if manual else CaptureMethod.AUTOMATIC
    created = intents.create(
        pay,
        TENANT,
        amount=10_000,
        currency="EUR",
        rail=RailKind.CARD,
        capture_method=capture,
        payment_method=token,
    )
    return created.id


def test_a_completed_challenge_resumes_its_intent_once(
    pay: Payments, client: CardProcessorClient, processor: CardProcessor
) -> None:
    intent_id = _intent(pay, client, "three_d_secure", manual=True)
    challenged = intents.confirm(pay, TENANT, intent_id)
    assert challenged.status is IntentStatus.REQUIRES_ACTION
    assert challenged.next_action_url is not None
    httpx.post(challenged.next_action_url, data={"result": "complete"})
    [event] = queued_events(processor)
    assert event["type"] == "authorization.updated"
    assert events.handle(pay, event) == "applied"
    assert intents.retrieve(pay, TENANT, intent_id).status is IntentStatus.REQUIRES_CAPTURE
    assert events.handle(pay, event) == "duplicate"
    assert intents.retrieve(pay, TENANT, intent_id).amount_capturable == 10_000
    assert_ledger_clean(pay.engine)


def test_a_failed_challenge_declines(
    pay: Payments, client: CardProcessorClient, processor: CardProcessor
) -> None:
    intent_id = _intent(pay, client, "three_d_secure")
    url = intents.confirm(pay, TENANT, intent_id).next_action_url
    assert url is not None
    httpx.post(url, data={"result": "fail"})
    [event] = queued_events(processor)
    events.handle(pay, event)
    declined = intents.retrieve(pay, TENANT, intent_id)
    assert (declined.status, declined.last_payment_error) == (
        IntentStatus.REQUIRES_PAYMENT_METHOD,
        "authentication_failed",
    )


def test_a_result_for_a_replaced_payment_method_changes_nothing(
    pay: Payments, client: CardProcessorClient, processor: CardProcessor
) -> None:
    intent_id = _intent(pay, client, "three_d_secure")
    url = intents.confirm(pay, TENANT, intent_id).next_action_url
    assert url is not None
    other = tokenize(client, TENANT, CardDetails(TEST_CARDS["three_d_secure"], 12, 2034, "123")).id
    intents.attach_payment_method(pay, TENANT, intent_id, other)
    intents.confirm(pay, TENANT, intent_id)
    httpx.post(url, data={"result": "complete"})
    [event] = queued_events(processor)
    assert events.handle(pay, event) == "duplicate"
    assert intents.retrieve(pay, TENANT, intent_id).status is IntentStatus.REQUIRES_ACTION


def test_a_dispute_opens_once(pay: Payments, client: CardProcessorClient, processor: CardProcessor) -> None:
    intent_id = _intent(pay, client, "disputed")
    assert intents.confirm(pay, TENANT, intent_id).status is IntentStatus.SUCCEEDED
    [event] = queued_events(processor)
    assert event["type"] == "dispute.created"
    events.handle(pay, event)
    events.handle(pay, event)
    disputed = intents.retrieve(pay, TENANT, intent_id)
    assert disputed.amount_disputed == 10_000
    assert_ledger_clean(pay.engine)


def test_an_event_missing_its_fields_is_invalid(pay: Payments) -> None:
    with pytest.raises(InvalidRequest) as refused:
        events.handle(
            pay, {"type": "dispute.created", "data": {"object": {"account": "a", "livemode": False}}}
        )
    assert refused.value.field == "data.object"
    incomplete = {"account": "a", "livemode": False, "merchant_reference": "pi_1", "id": "dp_1"}
    with pytest.raises(InvalidRequest):
        events.handle(pay, {"type": "dispute.created", "data": {"object": incomplete}})
    assert events.handle(pay, {"type": "charge.other", "data": {"object": incomplete}}) == "ignored"
