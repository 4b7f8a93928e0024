"""Idempotency keys (`api.idempotency`) on a test route of a real app, on SQLite and PostgreSQL: the header is
required, a retry replays the stored response, another body or a running first request is a 409, refusals
release the key, keys expire, a dead claim is taken over, and concurrent first uses race safely.

The route counts how often its work really ran, so "replayed, not run again" is measured, not assumed.
"""

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import Response
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.auth import issue_api_key
from api.db import make_engine, make_session_factory
from api.deps import AuthenticatedClient, IdempotencyDep
from api.errors import NotFound
from api.idempotency.progress import Progress
from api.idempotency.store import (
    HEADER,
    KEY_TTL,
    LOCK_TIMEOUT,
    REPLAYED_HEADER,
    STARTED,
    Claimed,
    IdempotencyKeyInFlight,
    SweepSchedule,
    claim,
    request_fingerprint,
)
from api.models import IdempotencyKey
from api.settings import ApiSettings

PATH = "/test/orders"

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""For checks no database backend changes; claims, replays, expiry and races run on both."""


class Order(BaseModel):
    item: str
    quantity: int


class Placed(BaseModel):
    item: str
    quantity: int
    run: int


class Route:
    """The work behind the test route: counts runs, can be held, can refuse."""

    def __init__(self) -> None:
        self.runs = 0
        self.hold = threading.Event()
        self.hold.set()
        self.started = threading.Event()
        self.refuse = False

    async def place(self, order: Order) -> Placed:
        self.started.set()
        await anyio.to_thread.run_sync(self.hold.wait)
        if self.refuse:
            raise NotFound(f"no item {order.item!r}")
        self.runs += 1
        return Placed(item=order.item, quantity=order.quantity, run=self.runs)


@pytest.fixture
def route() -> Route:
    return Route()


@pytest.fixture
def app(api_settings: ApiSettings, tmp_path: Path, route: Route) -> FastAPI:
    settings = api_settings.model_copy(update={"custody_roster_path": tmp_path / "no-roster.json"})
    app = create_app(settings)

    @app.post(PATH, status_code=201)
    async def place_order(order: Order, client: AuthenticatedClient, idempotency: IdempotencyDep) -> Response:
        return await idempotency.run(lambda _: route.place(order), body=order, status_code=201)

    @app.post(PATH + "/{item}/cancel")
    async def cancel(item: str, client: AuthenticatedClient, idempotency: IdempotencyDep) -> Response:
        return await idempotency.run(
            lambda _: route.place(Order(item=item, quantity=0)), body=None, status_code=200
        )

    return app


@pytest.fixture
def sessions(client: TestClient, api_settings: ApiSettings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(api_settings.database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def token(sessions: sessionmaker[Session]) -> str:
    with sessions() as session:
        return issue_api_key(session, "shop", ["custody:read"]).token


def post(
    client: TestClient, token: str, key: str | None, body: dict[str, object], path: str = PATH
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers[HEADER] = key
    return client.post(path, json=body, headers=headers)


ORDER = {"item": "tea", "quantity": 2}


@SQLITE_ONLY
def test_the_header_is_required_and_named(client: TestClient, token: str, route: Route):
    for key in (None, "", "has space", "x" * 256, "tab\there"):
        response = post(client, token, key, ORDER)
        assert response.status_code == 400, key
        assert response.json()["type"] == "urn:tpwallet:problem:idempotency-key-missing"
        assert HEADER in response.json()["detail"]
        assert response.json()["header"] == HEADER
    assert route.runs == 0


@SQLITE_ONLY
def test_authentication_comes_before_the_header(client: TestClient):
    assert client.post(PATH, json=ORDER).status_code == 401


def test_a_retry_replays_the_first_response_without_running_again(
    client: TestClient, token: str, route: Route
):
    first = post(client, token, "order-1", ORDER)
    assert first.status_code == 201
    assert REPLAYED_HEADER not in first.headers
    again = post(client, token, "order-1", {"quantity": 2, "item": "tea"})  # same body, other key order
    assert again.status_code == 201
    assert again.headers[REPLAYED_HEADER] == "true"
    assert again.content == first.content
    assert route.runs == 1
    assert post(client, token, "order-2", ORDER).json()["run"] == 2


def test_a_different_body_or_path_with_the_same_key_is_409(client: TestClient, token: str, route: Route):
    assert post(client, token, "k", ORDER).status_code == 201
    other_body = post(client, token, "k", {"item": "tea", "quantity": 3})
    assert other_body.status_code == 409
    assert other_body.json()["type"] == "urn:tpwallet:problem:idempotency-key-reused"
    assert PATH in other_body.json()["detail"]
    other_path = post(client, token, "k", {}, path=PATH + "/tea/cancel")
    assert other_path.status_code == 409
    assert route.runs == 1


@SQLITE_ONLY
def test_keys_belong_to_their_caller(
    client: TestClient, token: str, sessions: sessionmaker[Session], route: Route
):
    with sessions() as session:
        other = issue_api_key(session, "other shop", ["custody:read"]).token
    assert post(client, token, "shared", ORDER).json()["run"] == 1
    second = post(client, other, "shared", {"item": "cake", "quantity": 1})
    assert second.status_code == 201
    assert second.json()["run"] == 2


def test_a_request_still_running_makes_the_same_key_409(client: TestClient, token: str, route: Route):
    route.hold.clear()
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(post, client, token, "slow", ORDER)
        assert route.started.wait(5)
        while_running = post(client, token, "slow", ORDER)
        route.hold.set()
        assert first.result(10).status_code == 201
    assert while_running.status_code == 409
    assert while_running.json()["type"] == "urn:tpwallet:problem:idempotency-key-in-flight"
    assert post(client, token, "slow", ORDER).headers[REPLAYED_HEADER] == "true"
    assert route.runs == 1


@SQLITE_ONLY
def test_a_refusal_is_not_stored_and_the_key_can_be_retried(client: TestClient, token: str, route: Route):
    route.refuse = True
    refused = post(client, token, "retry-me", ORDER)
    assert refused.status_code == 404
    route.refuse = False
    retried = post(client, token, "retry-me", ORDER)
    assert retried.status_code == 201
    assert REPLAYED_HEADER not in retried.headers
    assert route.runs == 1


def _age(sessions: sessionmaker[Session], **columns: datetime) -> None:
    with sessions() as session:
        session.execute(update(IdempotencyKey).values(**columns))
        session.commit()


def test_an_expired_key_runs_afresh_and_expired_rows_are_dropped(
    app: FastAPI, client: TestClient, token: str, route: Route, sessions: sessionmaker[Session]
):
    app.state.idempotency_sweeps = SweepSchedule(0)  # sweep after every request
    assert post(client, token, "old", ORDER).json()["run"] == 1
    _age(sessions, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    fresh = post(client, token, "old", {"item": "tea", "quantity": 9})  # another body is fine once expired
    assert fresh.status_code == 201
    assert fresh.json()["run"] == 2
    with sessions() as session:
        row = session.scalars(select(IdempotencyKey)).one()
        assert row.expires_at - row.created_at == KEY_TTL
        assert row.expires_at > datetime.now(UTC) + KEY_TTL - timedelta(minutes=1)

    _age(sessions, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    post(client, token, "new", ORDER)  # completing a request when a sweep is due sweeps expired keys
    with sessions() as session:
        assert [row.key for row in session.scalars(select(IdempotencyKey))] == ["new"]


@SQLITE_ONLY
def test_expired_keys_are_swept_once_per_interval_and_never_answer_meanwhile(
    client: TestClient, token: str, route: Route, sessions: sessionmaker[Session]
):
    assert post(client, token, "first", ORDER).status_code == 201  # the first answer sweeps: due at start
    _age(sessions, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert post(client, token, "second", ORDER).status_code == 201  # within the interval: no sweep
    with sessions() as session:
        assert sorted(row.key for row in session.scalars(select(IdempotencyKey))) == ["first", "second"]
    again = post(client, token, "first", {"item": "tea", "quantity": 9})
    assert again.status_code == 201  # an expired key left in the table is a fresh key all the same
    assert again.json()["run"] == 3


def test_a_sweep_schedule_is_due_once_per_interval():
    schedule = SweepSchedule(0.2)
    assert [schedule.due(), schedule.due()] == [True, False]
    time.sleep(0.25)
    assert [schedule.due(), schedule.due()] == [True, False]


def test_a_claim_abandoned_by_a_dead_process_is_taken_over(
    client: TestClient, token: str, route: Route, sessions: sessionmaker[Session]
):
    caller = token.split("_")[1]
    fingerprint = request_fingerprint("POST", PATH, Order(item="tea", quantity=2))
    with sessions() as session:
        session.add(
            IdempotencyKey(
                principal=caller,
                key="orphan",
                request_sha256=fingerprint,
                request_path=PATH,
                claim_token="dead-process",
                locked_at=datetime.now(UTC),
                status_code=None,
                response_body=None,
                created_at=datetime.now(UTC),
                expires_at=datetime.now(UTC) + KEY_TTL,
            )
        )
        session.commit()
    assert post(client, token, "orphan", ORDER).status_code == 409  # its owner might still be running
    _age(sessions, locked_at=datetime.now(UTC) - LOCK_TIMEOUT - timedelta(seconds=1))
    taken_over = post(client, token, "orphan", ORDER)
    assert taken_over.status_code == 201
    assert route.runs == 1
    assert post(client, token, "orphan", ORDER).headers[REPLAYED_HEADER] == "true"


THREADS = 8


def test_concurrent_first_uses_of_a_key_run_the_work_once(client: TestClient, token: str, route: Route):
    start = threading.Barrier(THREADS)

    def contend() -> httpx.Response:
        start.wait()
        return post(client, token, "race", ORDER)

    with ThreadPoolExecutor(THREADS) as pool:
        responses = list(pool.map(lambda _: contend(), range(THREADS)))
    assert route.runs == 1
    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {201, 409}
    assert statuses.count(201) >= 1
    assert len({response.content for response in responses if response.status_code == 201}) == 1


def test_concurrent_claims_in_the_database_have_one_winner(
    client: TestClient, sessions: sessionmaker[Session]
):
    """The bare race on the unique constraint, without the app in between: threads insert at once."""
    start = threading.Barrier(THREADS)

    def contend() -> object:
        start.wait()
        try:
            with sessions() as session:
                return claim(session, "caller", "race", "f" * 64, PATH)
        except Exception as error:
            return error

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(lambda _: contend(), range(THREADS)))
    winners = [outcome for outcome in outcomes if isinstance(outcome, Claimed)]
    assert len(winners) == 1, outcomes
    assert all(
        type(outcome).__name__ == "IdempotencyKeyInFlight" for outcome in outcomes if outcome not in winners
    )


def test_a_failure_after_a_recovery_point_resumes_from_it(client: TestClient, token: str, app: FastAPI):
    """Work in two phases: the first commits a recovery point and then the work fails; the retry with the
    same key carries on from the point (with its data) instead of starting again, and 'started' work that
    fails still releases the key."""
    seen: list[tuple[str, dict[str, object]]] = []

    @app.post("/test/phased", status_code=201)
    async def phased(caller: AuthenticatedClient, idempotency: IdempotencyDep) -> Response:
        async def work(progress: Progress) -> Placed:
            seen.append((progress.point, dict(progress.data)))
            if progress.point == STARTED:
                await anyio.to_thread.run_sync(lambda: progress.save("half-way", run=len(seen)))
                raise RuntimeError("the connection to the nodes broke")
            return Placed(item="tea", quantity=1, run=int(str(progress.data["run"])))

        return await idempotency.run(work, body=None, status_code=201)

    headers = {"Authorization": f"Bearer {token}", HEADER: "phased"}
    assert client.post("/test/phased", headers=headers).status_code == 500
    resumed = client.post("/test/phased", headers=headers)
    assert resumed.status_code == 201
    assert resumed.json()["run"] == 1  # the data the first phase committed
    assert seen == [(STARTED, {}), ("half-way", {"run": 1})]


def test_each_committed_phase_renews_the_claims_lease(client: TestClient, sessions: sessionmaker[Session]):
    """A request still making progress long after it claimed its key is not taken over: each recovery point
    it commits renews the lease, so a retry meanwhile is 409, never a second run that throws the first's
    finished work away. Once it stops making progress, the lease runs out and a retry takes over."""
    with sessions() as session:
        claimed = claim(session, "caller", "long", "a" * 64, PATH)
    assert isinstance(claimed, Claimed)
    _age(sessions, locked_at=datetime.now(UTC) - LOCK_TIMEOUT + timedelta(seconds=30))  # nearly stale
    with sessions() as session:
        progress = Progress(session, "caller", "long", claimed.token, 201)
        progress.save("half-way")  # the request is alive and commits a phase
    with sessions() as session, pytest.raises(IdempotencyKeyInFlight):
        claim(session, "caller", "long", "a" * 64, PATH, LOCK_TIMEOUT - timedelta(seconds=60))
    _age(sessions, locked_at=datetime.now(UTC) - LOCK_TIMEOUT - timedelta(seconds=1))  # then it dies
    with sessions() as session:
        taken = claim(session, "caller", "long", "a" * 64, PATH)
    assert isinstance(taken, Claimed)
    assert taken.token != claimed.token
    assert taken.point == "half-way"
