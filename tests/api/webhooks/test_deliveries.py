"""Events and deliveries through the API: read an event, page the dead-letter list, redeliver, and the whole
way from an endpoint made over HTTP to a receiver verifying what the worker sent it."""

from collections.abc import Callable

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from payments.webhooks.deliveries import RetryPolicy
from payments.webhooks.outbox import Event
from payments.webhooks.schema import deliveries
from payments.webhooks.sealing import SecretBox
from payments.webhooks.signing import HEADER, verify
from payments.webhooks.worker import Worker
from tests.api.webhooks.conftest import Call, endpoint_body
from tests.helpers.webhook_receiver import running_receiver

URL = "http://127.0.0.1:9/hooks"


def test_an_event_reads_as_it_is_sent(writer: Call, emit_events: Callable[..., list[Event]]):
    (event,) = emit_events()
    read = writer("GET", f"/v1/events/{event.id}")
    assert read.status_code == 200
    assert read.json() == {
        "id": event.id,
        "object": "event",
        "type": "payment_intent.succeeded",
        "livemode": False,
        "created": event.created_at // 1000,
        "data": {"id": "pi_0", "amount": "100"},
    }


def test_the_dead_letter_list_pages_by_cursor(
    writer: Call, session: Session, emit_events: Callable[..., list[Event]]
):
    writer("POST", "/v1/webhook-endpoints", json=endpoint_body(URL))
    emit_events(5)
    session.execute(update(deliveries).values(status="dead", attempts=8))
    session.commit()
    emit_events(1)  # still pending: not in the dead-letter list
    seen: list[str] = []
    cursor = None
    for _ in range(3):
        params = {"status": "dead", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = writer("GET", "/v1/webhook-deliveries", params=params).json()
        seen += [delivery["id"] for delivery in page["data"]]
        assert all(delivery["status"] == "dead" for delivery in page["data"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert len(seen) == len(set(seen)) == 5
    everything = writer("GET", "/v1/webhook-deliveries", params={"limit": 100}).json()
    assert len(everything["data"]) == 6
    wrong = writer("GET", "/v1/webhook-deliveries", params={"status": "pending", "cursor": cursor})
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["field"] == "cursor"
    bad_status = writer("GET", "/v1/webhook-deliveries", params={"status": "lost"})
    assert bad_status.status_code == 422


def test_from_endpoint_to_dead_letter_to_redelivery_verified_by_the_receiver(
    writer: Call, session: Session, emit_events: Callable[..., list[Event]], api_settings
):
    with running_receiver() as receiver:
        receiver.statuses = [500]
        created = writer("POST", "/v1/webhook-endpoints", json=endpoint_body(receiver.url)).json()
        (event,) = emit_events()
        assert session.bind is not None
        worker = Worker(
            sessionmaker(bind=session.bind),
            SecretBox.from_file(api_settings.webhook_key_path),
            RetryPolicy(max_attempts=1),
            dev=True,
        )
        assert worker.run_once() == 1
        (dead,) = writer("GET", "/v1/webhook-deliveries", params={"status": "dead"}).json()["data"]
        assert (dead["event_id"], dead["attempts"], dead["last_status_code"]) == (event.id, 1, 500)
        receiver.statuses = [200]
        again = writer("POST", f"/v1/webhook-deliveries/{dead['id']}/redeliver")
        assert again.status_code == 200, again.text
        assert (again.json()["status"], again.json()["attempts"]) == ("pending", 0)
        assert worker.run_once() == 1
        first, second = receiver.wait_for(2)
    assert first.body == second.body == event.body.encode()
    assert verify(second.headers[HEADER], second.body, [created["secret"]]) > 0
    done = writer("GET", "/v1/webhook-deliveries", params={"status": "succeeded"}).json()["data"]
    assert [delivery["id"] for delivery in done] == [dead["id"]]
    assert done[0]["delivered_at"] is not None


def test_a_delivery_of_a_deleted_endpoint_is_not_redelivered(
    writer: Call, session: Session, emit_events: Callable[..., list[Event]]
):
    endpoint = writer("POST", "/v1/webhook-endpoints", json=endpoint_body(URL)).json()
    emit_events()
    session.execute(update(deliveries).values(status="dead"))
    session.commit()
    writer("DELETE", f"/v1/webhook-endpoints/{endpoint['id']}")
    (dead,) = writer("GET", "/v1/webhook-deliveries", params={"status": "dead"}).json()["data"]
    refused = writer("POST", f"/v1/webhook-deliveries/{dead['id']}/redeliver")
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:tpwallet:problem:not-redeliverable"
