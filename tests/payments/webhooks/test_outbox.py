"""The outbox: an event and its deliveries commit with the caller's transaction, or not at all."""

import json

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from payments.webhooks.outbox import emit, get_event
from payments.webhooks.schema import deliveries, events, replays
from tests.payments.webhooks.conftest import MERCHANT, OpenEndpoint

URL = "http://127.0.0.1:9/hooks"


def _count(session: Session, table) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_a_rolled_back_transaction_leaves_no_event_and_no_delivery(
    open_endpoint: OpenEndpoint, sessions: sessionmaker[Session]
):
    open_endpoint(URL)
    with sessions() as session:
        # The business change and its event in one transaction (a stand-in row for the change).
        session.execute(insert(replays).values(scope="change", timestamp=1, signature="x", expires_at=2))
        emit(session, MERCHANT, False, "payment_intent.succeeded", {"id": "pi_1"})
        session.rollback()
    with sessions() as session:
        assert (_count(session, events), _count(session, deliveries), _count(session, replays)) == (0, 0, 0)


def test_a_committed_event_has_one_delivery_per_subscribed_endpoint_of_its_tenant(
    open_endpoint: OpenEndpoint, sessions: sessionmaker[Session]
):
    everything, _ = open_endpoint(URL)
    intents, _ = open_endpoint(URL, events=("payment_intent.succeeded",))
    open_endpoint(URL, events=("refund.created",))
    open_endpoint(URL, merchant_id="acct_other")
    with sessions() as session:
        event = emit(
            session,
            MERCHANT,
            False,
            "payment_intent.succeeded",
            {"id": "pi_1", "amount": "100"},
            now=1_700_000_000_123,
        )
        session.commit()
        targets = set(session.scalars(select(deliveries.c.endpoint_id)).all())
        assert targets == {everything.id, intents.id}
        assert get_event(session, MERCHANT, False, event.id) == event
        assert get_event(session, "acct_other", False, event.id) is None
        assert get_event(session, MERCHANT, True, event.id) is None
        emit(session, MERCHANT, True, "payment_intent.succeeded", {})
        session.commit()
        assert _count(session, deliveries) == 2  # no live endpoint: a live event goes nowhere
    assert json.loads(event.body) == {
        "id": event.id,
        "type": "payment_intent.succeeded",
        "created": 1_700_000_000,
        "livemode": False,
        "data": {"id": "pi_1", "amount": "100"},
    }
    assert event.body == json.dumps(json.loads(event.body), sort_keys=True, separators=(",", ":"))


def test_an_event_of_a_merchant_that_does_not_exist_is_refused(sessions: sessionmaker[Session]):
    with sessions() as session, pytest.raises(IntegrityError):
        emit(session, "acct_nobody", False, "payment_intent.succeeded", {})
