"""The API under concurrency, in-process on SQLite and PostgreSQL: a request holds at most one database
connection at a time, and never one while it waits on something else, so many more requests than pooled
connections all finish (issue 9: with one connection held from authentication and a second one needed by
the idempotency claim, 16 concurrent POSTs exhausted the pool and all answered 500 after 30 s); and
`/health` answers while every worker thread is busy.

The app runs with 4 worker threads (so a pool of 4 connections); the test routes are authenticated and
idempotent like the custody POSTs, their work waits in the event loop or holds a worker thread.
"""

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import anyio
import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import Response
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.app import create_app
from api.auth import issue_api_key
from api.deps import AuthenticatedClient, IdempotencyDep
from api.settings import ApiSettings
from tests.helpers.db import session_on

THREADS = 4
CONCURRENT = 24
HEALTH_DEADLINE_SECONDS = 2.0


class Done(BaseModel):
    n: int


class Gate:
    """Counts the requests whose work has begun; lets them go once `expected` are in (or after a while)."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.inside = 0
        self.most_inside = 0
        self.lock = threading.Lock()
        self.open = threading.Event()

    def enter(self) -> None:
        with self.lock:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
            if self.inside >= self.expected:
                self.open.set()

    def leave(self) -> None:
        with self.lock:
            self.inside -= 1


@pytest.fixture
def gate() -> Gate:
    return Gate(CONCURRENT)


@pytest.fixture
def app(api_settings: ApiSettings, gate: Gate) -> FastAPI:
    app = create_app(api_settings.model_copy(update={"worker_threads": THREADS, "rate_limit_enabled": False}))

    @app.post("/test/waits-in-the-loop", status_code=201)
    async def waits(client: AuthenticatedClient, idempotency: IdempotencyDep) -> Response:
        async def work(_: object) -> Done:
            gate.enter()
            deadline = time.monotonic() + 20
            while not gate.open.is_set() and time.monotonic() < deadline:
                await anyio.sleep(0.01)
            gate.leave()
            return Done(n=1)

        return await idempotency.run(work, body=None, status_code=201)

    @app.post("/test/holds-a-thread", status_code=201)
    async def holds(client: AuthenticatedClient, idempotency: IdempotencyDep) -> Response:
        async def work(_: object) -> Done:
            def blocking() -> None:
                gate.enter()
                gate.open.wait(20)
                gate.leave()

            await anyio.to_thread.run_sync(blocking)
            return Done(n=2)

        return await idempotency.run(work, body=None, status_code=201)

    @app.get("/test/threads")
    async def threads() -> int:
        return int(anyio.to_thread.current_default_thread_limiter().total_tokens)

    return app


@pytest.fixture
def token(client: TestClient, api_settings: ApiSettings) -> Iterator[str]:
    with session_on(api_settings.database_url) as session:
        yield issue_api_key(session, "load", ["custody:read"]).token


def _post(client: TestClient, token: str, path: str, key: str) -> httpx.Response:
    return client.post(path, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})


def test_many_more_requests_than_connections_all_finish(client: TestClient, token: str, gate: Gate) -> None:
    with ThreadPoolExecutor(CONCURRENT) as pool:
        responses = list(
            pool.map(lambda n: _post(client, token, "/test/waits-in-the-loop", f"k{n}"), range(CONCURRENT))
        )
    assert [response.status_code for response in responses] == [201] * CONCURRENT, {
        response.status_code for response in responses
    }
    assert gate.most_inside == CONCURRENT  # all were in their work at once, on a pool of THREADS connections


def test_health_answers_while_every_worker_thread_is_busy(client: TestClient, token: str, gate: Gate) -> None:
    threads = client.get("/test/threads").json()
    assert threads == THREADS
    gate.expected = threads + 1  # never reached while every thread is held: the gate stays shut
    with ThreadPoolExecutor(threads + 2) as pool:
        busy = [pool.submit(_post, client, token, "/test/holds-a-thread", f"b{n}") for n in range(threads)]
        try:
            deadline = time.monotonic() + 10
            while gate.inside < threads and time.monotonic() < deadline:
                time.sleep(0.01)
            assert gate.inside == threads  # every worker thread is held by a request
            started = time.monotonic()
            health = pool.submit(client.get, "/health").result(timeout=HEALTH_DEADLINE_SECONDS)
            elapsed = time.monotonic() - started
        finally:
            gate.open.set()
        assert [future.result(30).status_code for future in busy] == [201] * threads
    assert health.status_code == 503  # answered: the chain nodes are down in these tests
    assert health.json()["checks"]["database"] == {"status": "ok"}
    assert elapsed < HEALTH_DEADLINE_SECONDS
