"""Every payment change announces itself through the outbox, in the change's own transaction: one event per
committed change (Stripe's type, the object as the API answers it), none for a rolled-back or refused one,
a delivery for each of the tenant's endpoints subscribed to it and for nobody else."""

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from api.disputes.service import dispute_out
from api.payment_intents.service import intent_out, refund_out
from payments.intents import disputes, intents, refunds
from payments.intents.context import Payments
from payments.intents.errors import InvalidRequest, RailRefused, UnexpectedState
from payments.intents.model import CancellationReason, PaymentIntent, RailKind
from payments.intents.rails import OutcomeKind, RailOutcome
from payments.merchants.tenant import Tenant
from payments.webhooks.endpoints import InvalidEndpoint
from payments.webhooks.outbox import emit
from payments.webhooks.schema import deliveries, events
from tests.payments.intents.conftest import OTHER, TENANT, ScriptedRail, new_intent
from tests.payments.webhooks.conftest import (  # noqa: F401  (fixtures)
    OpenEndpoint,
    box,
    key_file,
    open_endpoint,
    sessions,
)

URL = "http://127.0.0.1:9000/hooks"
OPERATOR_BOOK = Tenant("key_0123456789abcdef", livemode=False)


@dataclass
class Journal:
    """The tenant's events, read as they come: `new()` answers those written since its last call."""

    engine: Engine
    tenant: Tenant = TENANT
    seen: set[str] = field(default_factory=set)

    def all(self) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            bodies = connection.scalars(
                select(events.c.body).where(
                    events.c.merchant_id == self.tenant.merchant_id, events.c.livemode == self.tenant.livemode
                )
            )
            return [json.loads(body) for body in bodies]

    def new(self) -> list[dict[str, Any]]:
        fresh = [event for event in self.all() if event["id"] not in self.seen]
        self.seen |= {event["id"] for event in fresh}
        return fresh

    def types(self) -> list[str]:
        return sorted(event["type"] for event in self.new())


@pytest.fixture
def journal(engine: Engine) -> Journal:
    return Journal(engine)


def _only(journal: Journal, event_type: str) -> dict[str, Any]:
    (event,) = journal.new()
    assert event["type"] == event_type
    assert event["livemode"] is False
    assert event["id"].startswith("evt_")
    return event["data"]["object"]


def _as_answered(intent: PaymentIntent) -> dict[str, Any]:
    return intent_out(intent).model_dump(mode="json")


def test_a_challenged_manual_payment_announces_each_step_with_the_apis_body(
    pay: Payments, journal: Journal
) -> None:
    intent = new_intent(pay, method="pm_3ds")
    assert _only(journal, "payment_intent.created") == _as_answered(intent)
    challenged = intents.confirm(pay, TENANT, intent.id)
    body = _only(journal, "payment_intent.requires_action")
    assert body == _as_answered(challenged)
    assert body["next_action"]["redirect_to_url"]["url"] == challenged.next_action_url
    authorized = intents.complete_action(pay, TENANT, intent.id, RailOutcome(OutcomeKind.AUTHORIZED))
    body = _only(journal, "payment_intent.amount_capturable_updated")
    assert (body, body["amount_capturable"]) == (_as_answered(authorized), "10000")
    captured = intents.capture(pay, TENANT, intent.id, 6_000)
    body = _only(journal, "payment_intent.succeeded")
    assert (body, body["amount_received"]) == (_as_answered(captured), "6000")


def test_an_asynchronous_payment_announces_processing_then_its_result(
    pay: Payments, journal: Journal
) -> None:
    intent = new_intent(pay, manual=False, method="pm_async")
    intents.confirm(pay, TENANT, intent.id)
    assert journal.types() == ["payment_intent.created", "payment_intent.processing"]
    done = intents.complete_processing(pay, TENANT, intent.id, RailOutcome(OutcomeKind.SUCCEEDED))
    assert _only(journal, "payment_intent.succeeded") == _as_answered(done)


def test_every_failed_attempt_is_announced_and_attaching_a_method_is_not(
    pay: Payments, journal: Journal
) -> None:
    intent = new_intent(pay, method="pm_declined")
    journal.new()
    for attempt in range(
        2
    ):  # the second decline starts from requires_payment_method, where the first left it
        declined = intents.confirm(pay, TENANT, intent.id, payment_method="pm_declined")
        body = _only(journal, "payment_intent.payment_failed")
        assert (body["status"], body["last_payment_error"]) == (
            "requires_payment_method",
            "insufficient_funds",
        )
        assert declined.attempt == attempt + 1
    intents.attach_payment_method(pay, TENANT, intent.id, "pm_failed")
    assert journal.new() == []
    failed = intents.confirm(pay, TENANT, intent.id)
    assert _only(journal, "payment_intent.payment_failed") == _as_answered(failed)
    assert failed.status == "failed"


def test_a_cancel_and_a_lapse_announce_the_cancellation(pay: Payments, journal: Journal) -> None:
    held, lapsing = new_intent(pay), new_intent(pay)
    for intent in (held, lapsing):
        intents.confirm(pay, TENANT, intent.id)
    journal.new()
    canceled = intents.cancel(pay, TENANT, held.id, CancellationReason.DUPLICATE)
    assert _only(journal, "payment_intent.canceled") == _as_answered(canceled)
    cutoff = intents.retrieve(pay, TENANT, lapsing.id).updated_at + 1
    assert intents.expire_uncaptured(pay, None, cutoff) == [lapsing.id]
    body = _only(journal, "payment_intent.canceled")
    assert (body["id"], body["cancellation_reason"], body["amount_capturable"]) == (
        lapsing.id,
        "automatic",
        "0",
    )


def test_a_refund_is_announced_created_then_updated_once(
    pay: Payments, journal: Journal, rail: ScriptedRail
) -> None:
    intent = intents.confirm(pay, TENANT, new_intent(pay, manual=False).id)
    journal.new()
    done = refunds.refund(pay, TENANT, intent.id, 1_000, refund_id="re_sync")
    created, updated = sorted(journal.new(), key=lambda event: event["type"])
    assert (created["type"], created["data"]["object"]["status"]) == ("refund.created", "pending")
    assert (updated["type"], updated["data"]["object"]) == (
        "refund.updated",
        refund_out(done).model_dump(mode="json"),
    )
    assert (
        refunds.refund(pay, TENANT, intent.id, 1_000, refund_id="re_sync") == done
    )  # a retry answers it again
    assert journal.new() == []

    rail.defer.add("refund")
    pending = refunds.refund(pay, TENANT, intent.id, 2_000)
    assert _only(journal, "refund.created") == refund_out(pending).model_dump(mode="json")
    finished = refunds.complete_refund(pay, TENANT, pending.id, succeeded=False)
    assert _only(journal, "refund.updated")["status"] == finished.status == "failed"
    with pytest.raises(UnexpectedState):  # the rail's report delivered twice
        refunds.complete_refund(pay, TENANT, pending.id, succeeded=True)
    assert journal.new() == []


def test_a_refused_refund_announces_its_failure_with_it(
    pay: Payments, journal: Journal, rail: ScriptedRail
) -> None:
    intent = intents.confirm(pay, TENANT, new_intent(pay, manual=False).id)
    journal.new()
    rail.refuse.add("refund")
    with pytest.raises(RailRefused):
        refunds.refund(pay, TENANT, intent.id, 500)
    assert sorted((event["type"], event["data"]["object"]["status"]) for event in journal.new()) == [
        ("refund.created", "pending"),
        ("refund.updated", "failed"),
    ]


def test_a_dispute_is_announced_created_updated_and_closed(pay: Payments, journal: Journal) -> None:
    intent = intents.confirm(pay, TENANT, new_intent(pay, manual=False).id)
    journal.new()
    opened = disputes.open_dispute(pay, TENANT, intent.id, 4_000, reason="fraudulent", dispute_id="dp_net_1")
    assert _only(journal, "charge.dispute.created") == dispute_out(opened).model_dump(mode="json")
    answered = disputes.submit_evidence(pay, TENANT, opened.id, {"customer_name": "Ada"})
    assert (
        _only(journal, "charge.dispute.updated")["evidence"] == {"customer_name": "Ada"} == answered.evidence
    )
    closed = disputes.close_dispute(pay, TENANT, opened.id, won=False)
    body = _only(journal, "charge.dispute.closed")
    assert body == dispute_out(closed).model_dump(mode="json")
    assert (body["status"], body["evidence"]) == ("lost", {"customer_name": "Ada"})
    assert body["closed"] is not None
    with pytest.raises(UnexpectedState):
        disputes.submit_evidence(pay, TENANT, opened.id, {"customer_name": "Late"})
    assert journal.new() == []


def test_evidence_fields_are_stripes_and_bounded(pay: Payments, journal: Journal) -> None:
    intent = intents.confirm(pay, TENANT, new_intent(pay, manual=False).id)
    dispute = disputes.open_dispute(pay, TENANT, intent.id)
    journal.new()
    with pytest.raises(InvalidRequest) as unknown:
        disputes.submit_evidence(pay, TENANT, dispute.id, {"favourite_colour": "blue"})
    assert unknown.value.field == "evidence.favourite_colour"
    disputes.submit_evidence(pay, TENANT, dispute.id, {"uncategorized_text": "x" * 100_000})
    with pytest.raises(InvalidRequest) as too_long:
        disputes.submit_evidence(pay, TENANT, dispute.id, {"product_description": "y" * 50_001})
    assert too_long.value.field == "evidence"
    assert [event["type"] for event in journal.new()] == ["charge.dispute.updated"]
    assert disputes.retrieve_dispute(pay, TENANT, dispute.id).evidence == {
        "uncategorized_text": "x" * 100_000
    }


def test_a_rolled_back_step_announces_nothing(pay: Payments, engine: Engine, journal: Journal) -> None:
    intent = new_intent(pay)
    journal.new()
    with engine.connect() as connection:
        connection.begin()
        intents.confirm(pay.joining(lambda: connection), TENANT, intent.id)
        assert len(journal.new()) == 0  # not committed: not even visible yet
        connection.rollback()
    assert journal.new() == []
    assert intents.retrieve(pay, TENANT, intent.id).status == "requires_confirmation"
    intents.confirm(
        pay, TENANT, intent.id
    )  # the retry runs afresh (the rail answers as before) and is announced
    assert journal.types() == ["payment_intent.amount_capturable_updated"]


def test_a_retried_step_announces_once(pay: Payments, journal: Journal) -> None:
    intent = new_intent(pay)
    intents.confirm(pay, TENANT, intent.id)
    with pytest.raises(UnexpectedState):
        intents.confirm(pay, TENANT, intent.id)
    intents.capture(pay, TENANT, intent.id)
    with pytest.raises(UnexpectedState):
        intents.capture(pay, TENANT, intent.id)
    assert journal.types() == [
        "payment_intent.amount_capturable_updated",
        "payment_intent.created",
        "payment_intent.succeeded",
    ]


def _deliveries(engine: Engine, endpoint_id: str) -> int:
    with engine.connect() as connection:
        query = select(func.count()).select_from(deliveries).where(deliveries.c.endpoint_id == endpoint_id)
        return connection.scalar(query) or 0


def test_deliveries_go_to_the_tenants_subscribed_endpoints_only(
    pay: Payments,
    engine: Engine,
    open_endpoint: OpenEndpoint,  # noqa: F811
) -> None:
    succeeded, everything, refunds_only = (
        open_endpoint(URL, events=chosen)[0]
        for chosen in (("payment_intent.succeeded",), ("*",), ("refund.created", "refund.updated"))
    )
    live, other = open_endpoint(URL, livemode=True)[0], open_endpoint(URL, merchant_id=OTHER.merchant_id)[0]
    intents.confirm(pay, TENANT, new_intent(pay, manual=False).id)
    counts = [
        _deliveries(engine, endpoint.id) for endpoint in (succeeded, everything, refunds_only, live, other)
    ]
    assert counts == [1, 2, 0, 0, 0]


def test_each_tenant_has_its_own_events(pay: Payments, engine: Engine) -> None:
    mine = intents.create(pay, TENANT, amount=100, currency="EUR", rail=RailKind.CARD, payment_method="pm_ok")
    theirs = intents.create(
        pay, OTHER, amount=200, currency="EUR", rail=RailKind.CARD, payment_method="pm_ok"
    )
    for tenant, intent in ((TENANT, mine), (OTHER, theirs)):
        (event,) = Journal(engine, tenant).all()
        assert event["data"]["object"]["id"] == intent.id
    assert Journal(engine, Tenant(TENANT.merchant_id, livemode=True)).all() == []


def test_an_operators_own_book_has_no_events(pay: Payments, engine: Engine) -> None:
    created = intents.create(
        pay, OPERATOR_BOOK, amount=100, currency="EUR", rail=RailKind.CARD, payment_method="pm_ok"
    )
    assert intents.confirm(pay, OPERATOR_BOOK, created.id).status == "succeeded"
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(events)) == 0


def test_only_known_event_types_are_emitted(engine: Engine) -> None:
    with engine.begin() as connection, pytest.raises(InvalidEndpoint):
        emit(connection, TENANT.merchant_id, False, "payment_intent.teleported", {})
