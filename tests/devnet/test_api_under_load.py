"""Issue 9's "done when", on real processes: the API under uvicorn (`python -m api`), three signer-node
processes over mutual TLS, the anvil chains of the test session, on SQLite and PostgreSQL.

- 32 identical sign requests with one Idempotency-Key released at once: exactly one sign request, no 5xx
  (409 for the ones that found the first still running);
- 64 different ones at once: no 5xx, while `/health` answers within 2 s every time it is asked;
- a 16 MiB body: 413, whether it says its length or comes chunked; no `server` banner, `nosniff`;
- `kill -9` of the API between the phases of a sign request: the retry with the same key, on a new API
  process, finishes that request; it never makes a second one.
"""

import asyncio
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from custody.frost import trusted_dealer_keygen
from scripts._support.anvil import AnvilNode
from tests.helpers import db
from tests.helpers.api_process import ApiProcess
from tests.helpers.custody_nodes import TEST_KEY_ID, CustodyGroup, anchor_intent

pytestmark = pytest.mark.devnet

database_url, sqlite_url, pg_url = db.database_url, db.sqlite_url, db.pg_url

IDENTICAL = 32
DIFFERENT = 64
HEALTH_DEADLINE_SECONDS = 2.0
SIGN = "/v1/custody/sign-requests"


@pytest.fixture(scope="module")
def group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CustodyGroup]:
    """Three node processes holding a dealt 2-of-3 key (the API registers it from their statements)."""
    with CustodyGroup(
        tmp_path_factory.mktemp("load-group"), {TEST_KEY_ID: trusted_dealer_keygen(3, 2)}
    ) as group:
        group.start()
        yield group


def _chains_env(l1_anvil: AnvilNode, l2_anvil: AnvilNode) -> dict[str, str]:
    return {"TPW_L1_RPC_URL": l1_anvil.url, "TPW_L2_RPC_URL": l2_anvil.url}


@pytest.fixture
def api(
    tmp_path: Path, group: CustodyGroup, database_url: str, l1_anvil: AnvilNode, l2_anvil: AnvilNode
) -> Iterator[ApiProcess]:
    with ApiProcess(tmp_path, group, database_url, _chains_env(l1_anvil, l2_anvil)) as process:
        yield process


def _body() -> dict[str, Any]:
    return {"key_id": TEST_KEY_ID, "intent": anchor_intent().model_dump(mode="json")}


async def _released_at_once(
    api: ApiProcess, bodies: list[tuple[str, dict[str, Any]]]
) -> list[httpx.Response]:
    """POST every (idempotency key, body) on its own connection, all sent at the same moment."""
    go = asyncio.Event()
    limits = httpx.Limits(max_connections=len(bodies) + 8)
    async with httpx.AsyncClient(base_url=api.url, timeout=60, limits=limits) as client:

        async def one(key: str, body: dict[str, Any]) -> httpx.Response:
            await go.wait()
            return await client.post(SIGN, json=body, headers=api.headers(key))

        tasks = [asyncio.create_task(one(key, body)) for key, body in bodies]
        await asyncio.sleep(0)
        go.set()
        return list(await asyncio.gather(*tasks))


def test_identical_sign_requests_released_at_once_make_one_sign_request(api: ApiProcess) -> None:
    body = _body()
    responses = asyncio.run(_released_at_once(api, [("one-click", body)] * IDENTICAL))
    statuses = [response.status_code for response in responses]
    assert set(statuses) <= {201, 409}, statuses
    assert statuses.count(201) >= 1
    signed = {response.content for response in responses if response.status_code == 201}
    assert len(signed) == 1  # the first answer, replayed to the others that came after it finished
    assert api.count_sign_requests() == 1
    (request,) = {response.json()["id"] for response in responses if response.status_code == 201}
    assert api.sign_requests() == [request]


def test_different_sign_requests_at_once_all_answer_while_health_stays_quick(api: ApiProcess) -> None:
    health_times: list[float] = []
    health_statuses: list[int] = []
    done = threading.Event()

    def poll_health() -> None:
        with httpx.Client(base_url=api.url, timeout=30) as client:
            while not done.is_set():
                started = time.monotonic()
                health_statuses.append(client.get("/health").status_code)
                health_times.append(time.monotonic() - started)
                done.wait(0.1)

    poller = threading.Thread(target=poll_health)
    poller.start()
    try:
        bodies = [(f"different-{n}", _body()) for n in range(DIFFERENT)]
        responses = asyncio.run(_released_at_once(api, bodies))
    finally:
        done.set()
        poller.join(60)
    statuses = [response.status_code for response in responses]
    assert all(status < 500 for status in statuses), statuses
    assert statuses.count(201) == DIFFERENT, statuses
    assert all(response.json()["status"] == "signed" for response in responses)
    assert api.count_sign_requests() == DIFFERENT
    assert health_statuses
    assert set(health_statuses) == {200}, health_statuses
    assert max(health_times) < HEALTH_DEADLINE_SECONDS, health_times


def _chunks(total: int, size: int = 1 << 20) -> Iterator[bytes]:
    for _ in range(total // size):
        yield b" " * size


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_16_mib_body_is_413_and_answers_carry_no_server_banner(api: ApiProcess) -> None:
    sixteen_mib = 16 << 20
    with httpx.Client(base_url=api.url, timeout=60) as client:
        declared = client.post(SIGN, content=b" " * sixteen_mib, headers={"Content-Type": "application/json"})
        chunked = client.post(SIGN, content=_chunks(sixteen_mib), headers=api.headers("big"))
        health = client.get("/health")
    for response in (declared, chunked):
        assert response.status_code == 413, response.text
        assert response.json()["type"] == "urn:tpwallet:problem:payload-too-large"
    assert health.status_code == 200
    for response in (declared, chunked, health):
        assert "server" not in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert chunked.headers["Cache-Control"] == "no-store"


def _whole_response(connection: socket.socket) -> str:
    """An HTTP/1.1 response read to the end of its body (its head and body may come in separate segments:
    one `recv` can return the head alone)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return data.decode()
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return (head + b"\r\n\r\n" + body).decode()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_body_trickled_slower_than_the_deadline_is_408_and_x_forwarded_for_is_not_trusted(
    tmp_path: Path, group: CustodyGroup, database_url: str, l1_anvil: AnvilNode, l2_anvil: AnvilNode
) -> None:
    """A client sending a few bytes of its declared body and then nothing gets 408 once the read deadline
    passes, instead of holding its connection and buffer open; and a client cannot choose the address its
    rate limit is counted under by sending X-Forwarded-For (no proxy is trusted unless configured)."""
    env = {
        **_chains_env(l1_anvil, l2_anvil),
        "TPW_BODY_READ_TIMEOUT_SECONDS": "1",
        "TPW_RATE_LIMIT_ADDRESS_BURST": "3",
        "TPW_RATE_LIMIT_ADDRESS_PER_SECOND": "0.01",
    }
    with (
        ApiProcess(tmp_path, group, database_url, env) as api,
        socket.create_connection(("127.0.0.1", api.port), timeout=10) as slow,
    ):
        slow.sendall(
            f"POST {SIGN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f'Content-Length: 100\r\n\r\n{{"key'.encode()
        )
        started = time.monotonic()
        answer = _whole_response(slow)
        assert answer.startswith("HTTP/1.1 408"), answer
        assert 0.9 < time.monotonic() - started < 5
        assert "urn:tpwallet:problem:request-timeout" in answer

        with httpx.Client(base_url=api.url, timeout=10) as client:
            codes = [
                client.get("/version", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
                for n in range(5)
            ]
        assert codes[-1] == 429, codes  # one bucket for the real peer, whatever the header says


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_kill_9_between_phases_the_retry_finishes_the_request_never_a_second(
    tmp_path: Path, group: CustodyGroup, database_url: str, l1_anvil: AnvilNode, l2_anvil: AnvilNode
) -> None:
    env = {
        **_chains_env(l1_anvil, l2_anvil),
        "TPW_CUSTODY_TIMEOUT_SECONDS": "60",  # the frozen nodes hold the attempt until the kill
        "TPW_IDEMPOTENCY_LOCK_TIMEOUT_SECONDS": "1",  # the dead process's claim is taken over soon
    }
    api = ApiProcess(tmp_path, group, database_url, env).start()
    with httpx.Client(base_url=api.url, timeout=30) as client:  # registers the key while all nodes answer
        assert client.post(SIGN, json=_body(), headers=api.headers("warm-up")).status_code == 201
    before = api.sign_requests()
    body = _body()
    frozen = [group.nodes[node_id].process for node_id in (2, 3)]
    pids = [process.pid for process in frozen if process is not None and process.pid is not None]
    try:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)  # round one never answers: the attempt hangs after phase one
        doomed = threading.Thread(target=_post_ignoring_errors, args=(api, body))
        doomed.start()
        deadline = time.monotonic() + 30
        while api.count_sign_requests() == len(before) and time.monotonic() < deadline:
            time.sleep(0.02)
        stored = sorted(set(api.sign_requests()) - set(before))
        assert len(stored) == 1  # phase one committed: the request is stored, its attempt running
        api.kill()
        doomed.join(30)
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    try:
        api.start()
        retried = _retry_while_in_flight(api, body)
        assert retried.status_code == 201, retried.text
        assert retried.json()["id"] == stored[0]
        assert retried.json()["status"] == "signed"
        assert sorted(set(api.sign_requests()) - set(before)) == stored  # finished, never made twice
        with httpx.Client(base_url=api.url, timeout=30) as client:
            replayed = client.post(SIGN, json=body, headers=api.headers("crash"))
        assert replayed.headers["Idempotent-Replayed"] == "true"
        assert replayed.content == retried.content
    finally:
        api.stop()


def _post_ignoring_errors(api: ApiProcess, body: dict[str, Any]) -> None:
    with httpx.Client(base_url=api.url, timeout=120) as client, pytest.raises(httpx.TransportError):
        client.post(SIGN, json=body, headers=api.headers("crash"))


def _retry_while_in_flight(api: ApiProcess, body: dict[str, Any]) -> httpx.Response:
    """Retry with the same key until the dead process's claim has expired (409 until then)."""
    deadline = time.monotonic() + 30
    with httpx.Client(base_url=api.url, timeout=60) as client:
        while True:
            response = client.post(SIGN, json=body, headers=api.headers("crash"))
            if response.status_code != 409 or time.monotonic() > deadline:
                return response
            time.sleep(0.1)
