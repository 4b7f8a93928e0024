"""Tests of the coordinator's node client against a scripted server holding node 1's real certificate.

The server speaks mutual TLS 1.3 with the group's material (so the client's certificate pinning and the
handshake are real) and answers each request as the test says: how connections are kept and reused, and
how each way a node can answer badly maps to `NodeUnavailable`, `NodeRefused` or `NodeMisbehaved`.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest

from custody.coordinator.client import MAX_ANSWER_BYTES, NodeClient
from custody.coordinator.errors import NodeMisbehaved, NodeRefused, NodeUnavailable
from custody.tls import server_context
from tests.helpers.custody_nodes import CustodyGroup

HEALTH = json.dumps({"status": "ok", "node_id": 1, "keys": []}).encode()

Answer = Callable[[int], bytes]
"""The bytes the server sends for the n-th request it receives (n from 1, over every connection)."""


def http(status: int, body: bytes, content_type: str = "application/json") -> bytes:
    head = f"HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def serve(
    group: CustodyGroup,
    answer: Answer,
    test: Callable[[NodeClient, list[int]], Awaitable[None]],
    *,
    close=False,
) -> list[int]:
    """Run `test` against a server at node 1's address; the number of requests each connection carried."""
    node = group.nodes[1]
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(0)
        index = len(connections) - 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                await reader.readexactly(length)
                connections[index] += 1
                writer.write(answer(sum(connections)))
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    tls = server_context(group.layout.node(1).tls)
    server = await asyncio.start_server(handle, "127.0.0.1", node.port, ssl=tls)
    try:
        async with NodeClient(group.client_context(), timeout=2.0) as client:
            await test(client, connections)
    finally:
        server.close()
        await server.wait_closed()
    return connections


def test_one_connection_carries_every_call(group_files: CustodyGroup) -> None:
    async def calls(client: NodeClient, _: list[int]) -> None:
        for _call in range(5):
            answer = await client.health(group_files.roster.node(1))
            assert answer.node_id == 1

    assert asyncio.run(serve(group_files, lambda _: http(200, HEALTH), calls)) == [5]


def test_a_connection_the_node_closed_while_idle_is_not_used_again(group_files: CustodyGroup) -> None:
    async def calls(client: NodeClient, connections: list[int]) -> None:
        for expected in range(1, 4):
            assert (await client.health(group_files.roster.node(1))).node_id == 1
            while len(connections) < expected:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)  # the server has closed the connection, unseen by the client

    assert asyncio.run(serve(group_files, lambda _: http(200, HEALTH), calls, close=True)) == [1, 1, 1]


@pytest.mark.parametrize(
    ("answer", "error", "detail"),
    [
        (http(200, b"x" * (MAX_ANSWER_BYTES + 1)), NodeMisbehaved, "more than"),
        (http(200, b"{}"), NodeMisbehaved, "invalid HealthResponse"),
        (b"NOT HTTP AT ALL\r\n\r\n", NodeUnavailable, "cannot reach"),
        (http(503, b""), NodeUnavailable, "answered 503"),
    ],
    ids=["oversized", "invalid-body", "not-http", "5xx"],
)
def test_bad_answers_are_named(
    group_files: CustodyGroup, answer: bytes, error: type[Exception], detail: str
) -> None:
    async def call(client: NodeClient, _: list[int]) -> None:
        with pytest.raises(error, match=detail):
            await client.health(group_files.roster.node(1))
        assert (await client.health(group_files.roster.node(1))).node_id == 1  # a new connection works

    answers = {1: answer}
    asyncio.run(serve(group_files, lambda n: answers.get(n, http(200, HEALTH)), call))


def test_a_problem_document_is_a_refusal_with_its_reasons(group_files: CustodyGroup) -> None:
    problem = {"type": "urn:tpwallet:custody:policy-refused", "detail": "no", "reasons": ["too much"]}

    async def call(client: NodeClient, _: list[int]) -> None:
        with pytest.raises(NodeRefused) as refusal:
            await client.health(group_files.roster.node(1))
        assert (refusal.value.status, refusal.value.problem_type) == (403, problem["type"])
        assert refusal.value.reasons == ["too much"]

    body = json.dumps(problem).encode()
    asyncio.run(serve(group_files, lambda _: http(403, body, "application/problem+json"), call))


def test_a_node_that_does_not_answer_costs_the_timeout(group_files: CustodyGroup) -> None:
    async def call(client: NodeClient, _: list[int]) -> None:
        client.timeout = 0.3
        with pytest.raises(NodeUnavailable, match=r"no answer within 0\.3 s"):
            await client.health(group_files.roster.node(1))

    asyncio.run(serve(group_files, lambda _: b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{", call))
