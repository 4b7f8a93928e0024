"""The delivery worker against a real HTTP receiver on 127.0.0.1: signatures the receiver verifies, retries
with backoff, dead-letter, redelivery, two workers at once, and a worker killed with kill -9 mid-delivery.

Delivery is at least once: the kill -9 test shows the receiver getting one event twice, which it deduplicates
by the event id every attempt repeats.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chain.paths import PROJECT_ROOT
from payments.webhooks import deliveries, endpoints
from payments.webhooks.deliveries import Delivery, RetryPolicy
from payments.webhooks.ids import now_ms
from payments.webhooks.outbox import Event, emit
from payments.webhooks.schema import deliveries as deliveries_table
from payments.webhooks.sealing import SecretBox
from payments.webhooks.signing import HEADER, verify
from payments.webhooks.worker import Worker
from tests.helpers.threads import run_concurrently
from tests.helpers.webhook_receiver import Receiver, running_receiver
from tests.payments.webhooks.conftest import MERCHANT, OpenEndpoint

FAST = RetryPolicy(max_attempts=3, base_seconds=0.05, cap_seconds=0.2, lease_seconds=10.0)


@pytest.fixture
def receiver():
    with running_receiver() as running:
        yield running


@pytest.fixture
def worker(sessions: sessionmaker[Session], box: SecretBox) -> Worker:
    return Worker(sessions, box, FAST, dev=True, timeout=2.0)


def _emit(sessions: sessionmaker[Session], count: int = 1) -> list[Event]:
    with sessions() as session:
        made = [emit(session, MERCHANT, False, "payment_intent.succeeded", {"n": n}) for n in range(count)]
        session.commit()
    return made


def _delivery(sessions: sessionmaker[Session]) -> Delivery:
    with sessions() as session:
        (delivery_id,) = session.scalars(select(deliveries_table.c.id)).all()
        return deliveries.get(session, MERCHANT, False, delivery_id)


def _until(worker: Worker, done: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        if worker.run_once() == 0:
            time.sleep(0.02)


def test_a_delivery_arrives_signed_over_its_exact_body(
    receiver: Receiver,
    worker: Worker,
    open_endpoint: OpenEndpoint,
    sessions: sessionmaker[Session],
    box: SecretBox,
):
    endpoint, old = open_endpoint(receiver.url)
    with sessions() as session:
        new = endpoints.rotate_secret(session, box, endpoint, now=now_ms())
        session.commit()
    (event,) = _emit(sessions)
    assert worker.run_once() == 1
    (request,) = receiver.wait_for(1)
    assert request.body == event.body.encode()
    assert request.path == "/hooks"
    assert request.headers["Content-Type"] == "application/json"
    header = request.headers[HEADER]
    assert header.count("v1=") == 2  # signed with both secrets during the overlap
    for secret in (old, new):  # the receiver verifies with whichever one it holds
        assert verify(header, request.body, [secret]) > 0
    assert json.loads(request.body)["id"] == event.id
    delivered = _delivery(sessions)
    assert (delivered.status, delivered.attempts, delivered.last_status_code) == ("succeeded", 1, 200)
    assert worker.run_once() == 0


def test_a_500_is_retried_with_backoff_until_it_succeeds(
    receiver: Receiver, worker: Worker, open_endpoint: OpenEndpoint, sessions: sessionmaker[Session]
):
    receiver.statuses = [500, 503, 200]
    open_endpoint(receiver.url)
    _emit(sessions)
    before = now_ms()
    assert worker.run_once() == 1
    waiting = _delivery(sessions)
    assert (waiting.status, waiting.attempts, waiting.last_status_code) == ("pending", 1, 500)
    # The first backoff is between half and all of base_seconds, from the failure.
    assert before + 25 <= waiting.next_attempt_at <= now_ms() + 50
    assert worker.run_once() == 0  # not due yet
    _until(worker, lambda: _delivery(sessions).status == "succeeded")
    assert [len(r.body) for r in receiver.received] == [len(receiver.received[0].body)] * 3
    assert _delivery(sessions).attempts == 3


def test_backoff_doubles_up_to_its_cap_with_jitter():
    policy = RetryPolicy(base_seconds=1.0, cap_seconds=8.0)

    class Fixed:
        def __init__(self, value: float) -> None:
            self.value = value

        def random(self) -> float:
            return self.value

    for attempts, ceiling in [(1, 1000), (2, 2000), (3, 4000), (4, 8000), (9, 8000)]:
        assert policy.backoff_ms(attempts, Fixed(0.0)) == ceiling // 2  # type: ignore[arg-type]
        assert policy.backoff_ms(attempts, Fixed(0.999999)) == ceiling - 1  # type: ignore[arg-type]


def test_dead_letter_after_max_attempts_then_manual_redelivery(
    receiver: Receiver, worker: Worker, open_endpoint: OpenEndpoint, sessions: sessionmaker[Session]
):
    receiver.statuses = [500]
    open_endpoint(receiver.url)
    _emit(sessions)
    _until(worker, lambda: _delivery(sessions).status == "dead")
    dead = _delivery(sessions)
    assert (dead.attempts, len(receiver.received), dead.last_error) == (3, 3, "HTTP 500")
    time.sleep(0.3)
    assert worker.run_once() == 0  # a dead delivery is never retried on its own
    receiver.statuses = [200]
    with sessions() as session:
        again = deliveries.redeliver(session, MERCHANT, False, dead.id, now=now_ms())
        session.commit()
    assert (again.status, again.attempts) == ("pending", 0)
    _until(worker, lambda: _delivery(sessions).status == "succeeded")
    assert len(receiver.received) == 4
    assert len({request.body for request in receiver.received}) == 1


def test_an_endpoint_that_now_resolves_inside_is_not_called(
    receiver: Receiver, worker: Worker, open_endpoint: OpenEndpoint, sessions: sessionmaker[Session]
):
    open_endpoint(receiver.url)
    _emit(sessions)
    worker.resolver = lambda host, port: ["10.0.0.7"]  # DNS rebinding since the endpoint was created
    worker.run_once()
    assert receiver.received == []
    assert "UnsafeUrl" in (_delivery(sessions).last_error or "")


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(
    receiver: Receiver, open_endpoint: OpenEndpoint, sessions: sessionmaker[Session], box: SecretBox
):
    receiver.hold = threading.Event()  # never answers until the test ends
    open_endpoint(receiver.url)
    _emit(sessions)
    began = time.monotonic()
    assert Worker(sessions, box, FAST, dev=True, timeout=0.5).run_once() == 1
    assert time.monotonic() - began < 3
    failed = _delivery(sessions)
    assert (failed.status, failed.attempts, failed.last_status_code) == ("pending", 1, None)
    assert "timed out" in (failed.last_error or "")


def test_a_claim_whose_lease_could_run_out_mid_attempt_is_released_unattempted(
    receiver: Receiver, open_endpoint: OpenEndpoint, sessions: sessionmaker[Session], box: SecretBox
):
    open_endpoint(receiver.url)
    _emit(sessions)
    short = RetryPolicy(max_attempts=3, lease_seconds=1.0)
    assert Worker(sessions, box, short, dev=True, timeout=5.0).run_once() == 1
    assert receiver.received == []
    released = _delivery(sessions)
    assert (released.status, released.attempts) == ("pending", 0)
    with sessions() as session:
        assert session.scalar(select(deliveries_table.c.lease_token)) is None


def test_two_workers_at_once_deliver_each_event_once(
    receiver: Receiver, sessions: sessionmaker[Session], box: SecretBox, open_endpoint: OpenEndpoint
):
    open_endpoint(receiver.url)
    events = _emit(sessions, 30)
    done = threading.Event()

    def work() -> None:
        mine = Worker(sessions, box, FAST, dev=True, timeout=2.0, batch=4)
        deadline = time.monotonic() + 30
        while not done.is_set() and time.monotonic() < deadline:
            if mine.run_once() == 0:
                with receiver.lock:
                    if len(receiver.received) >= len(events):
                        done.set()
                time.sleep(0.01)

    run_concurrently(work, 2)
    ids = [json.loads(request.body)["id"] for request in receiver.received]
    assert sorted(ids) == sorted(event.id for event in events)  # each once: no loss, no duplicate
    with sessions() as session:
        assert set(session.scalars(select(deliveries_table.c.status))) == {"succeeded"}
        assert set(session.scalars(select(deliveries_table.c.attempts))) == {1}


def _start_worker(database_url: str, key_file: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "payments.webhooks.worker",
            "--database-url",
            database_url,
            "--key-file",
            str(key_file),
            "--environment",
            "dev",
            "--timeout",
            "2",
            "--lease-seconds",
            "4.5",
            "--poll-seconds",
            "0.1",
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
def test_a_worker_killed_mid_delivery_loses_nothing(
    receiver: Receiver,
    open_endpoint: OpenEndpoint,
    sessions: sessionmaker[Session],
    database_url: str,
    key_file: Path,
):
    open_endpoint(receiver.url)
    (event,) = _emit(sessions)
    receiver.hold = threading.Event()  # the first request gets no answer: the worker is in mid-delivery
    first = _start_worker(database_url, key_file)
    second: subprocess.Popen[str] | None = None
    try:
        assert receiver.arrived.wait(30), "the first worker never called"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert _delivery(sessions).status == "pending"  # nothing recorded: the lease is still held
        second = _start_worker(database_url, key_file)
        requests = receiver.wait_for(2, timeout=30)
        deadline = time.monotonic() + 10
        while _delivery(sessions).status != "succeeded":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        for child in (first, second):
            if child is not None and child.poll() is None:
                child.terminate()
                child.wait(10)
    # At least once: the event arrived twice, with the same id (the receiver's deduplication key).
    assert [json.loads(request.body)["id"] for request in requests] == [event.id, event.id]
    assert _delivery(sessions).attempts == 2
