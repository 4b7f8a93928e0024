"""The coordinator's mutual-TLS HTTP client for signer nodes, and how a node's answer can fail.

One `NodeClient` serves every node: it presents the coordinator's certificate, trusts only the group CA
(`custody.tls.client_context`) and keeps a small pool of HTTP/1.1 keep-alive connections per node, so a
signature costs two requests per node, not TLS handshakes. Every connection must come from the certificate
the roster pins for that node (``tls_sha256``), checked once when the connection is made and before any
request is written on it: a process answering at a node's address with another node's certificate, or any
other, is refused, so blame always lands on the right node.

The client speaks just the HTTP/1.1 the nodes serve (one request at a time per connection, answers framed
by Content-Length or chunked, parsed by llhttp through ``httptools``) over an `asyncio.Protocol`. A general
HTTP client costs several times more CPU per request than the signing work itself: httpx's connection pool,
for one, scans every connection and request on each call, which dominated the coordinator's CPU time when
many signatures were in flight (see ``docs/benchmarks.md``).

Each call ends in one of four ways: the parsed answer, `NodeUnavailable` (no answer within the timeout,
connection or TLS failure, a 5xx), `NodeRefused` (a 4xx problem document: the node looked and said no) or
`NodeMisbehaved` (a 2xx that is not a valid answer, an oversized answer, or the wrong certificate). The
timeout bounds the whole call, connection set-up included, however slowly a hung node trickles bytes. A
connection whose call did not end with a complete answer is closed, never reused.
"""

import asyncio
import hashlib
import json
import select
import ssl
import time
from typing import Any, Final, TypeVar, cast
from urllib.parse import urlsplit

import httptools
from pydantic import BaseModel, ValidationError

from custody.coordinator.errors import NodeMisbehaved, NodeRefused, NodeUnavailable
from custody.protocol.signing import (
    HealthResponse,
    Round1Request,
    Round1Response,
    Round2Request,
    Round2Response,
)
from custody.roster import RosterNode

DEFAULT_TIMEOUT_SECONDS: Final = 2.0
KEEPALIVE_EXPIRY_SECONDS: Final = 60.0
"""Below the node's keep-alive (75 s), so the client, not the server, closes idle connections."""
MAX_IDLE_CONNECTIONS_PER_NODE: Final = 32
MAX_ANSWER_BYTES: Final = 1 << 20
"""A node's answers are a few hundred bytes (a DKG round's a few kilobytes); more is a misbehaving node."""

AnswerT = TypeVar("AnswerT", bound=BaseModel)


def _problem(body: bytes) -> dict[str, Any]:
    try:
        problem = json.loads(body)
    except ValueError:
        return {}
    return problem if isinstance(problem, dict) else {}


class _AnswerTooLarge(Exception):
    """The answer's body passed `MAX_ANSWER_BYTES`."""


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection to one node: one request at a time, answers parsed by llhttp."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = time.monotonic()
        self._parser = httptools.HttpResponseParser(self)
        self._body: list[bytes] = []
        self._size = 0
        self._answer: asyncio.Future[tuple[int, bytes, bool]] | None = None

    # -- asyncio.Protocol ------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A TLS transport: asyncio's is an asyncio.Transport, uvloop's (what uvicorn runs the API on) only
        # behaves as one.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._answer is None or self._answer.done():
            self.close()  # bytes nobody asked for: the connection cannot be trusted to frame answers
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            failure: Exception = _AnswerTooLarge() if self._size > MAX_ANSWER_BYTES else error
            if not self._answer.done():
                self._answer.set_exception(failure)
            self.close()

    def eof_received(self) -> bool:
        return False  # close the transport; connection_lost reports the end to a waiting call

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(exc if exc is not None else ConnectionResetError("connection closed"))

    # -- httptools callbacks -------------------------------------------------------------------------

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > MAX_ANSWER_BYTES:
            raise _AnswerTooLarge  # stops the parser; data_received reports it
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._answer is not None and not self._answer.done():
            status = self._parser.get_status_code()
            self._answer.set_result((status, b"".join(self._body), self._parser.should_keep_alive()))

    # -- use -------------------------------------------------------------------------------------------

    def usable(self, now: float) -> bool:
        """Whether the connection may carry another request: open, idle for less than the expiry, and with
        nothing to read. An idle connection has nothing to say; if its socket is readable, the server closed
        it (e.g. the node restarted) while this process did not look (the loop did not run, or has not run
        the read yet), and a request sent on it would be lost."""
        if self.closed or self.transport is None or self.transport.is_closing():
            return False
        if now - self.idle_since >= KEEPALIVE_EXPIRY_SECONDS:
            return False
        sock = self.transport.get_extra_info("socket")
        if sock is None:
            return True
        try:
            readable, _, _ = select.select([sock.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    async def exchange(self, request: bytes) -> tuple[int, bytes, bool]:
        """Send one request; its answer's status, body and whether the connection may be reused."""
        assert self.transport is not None
        self._body = []
        self._size = 0
        self._answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self._answer

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class _Origin:
    """Where one node listens: host and port to connect to, and the Host header to send."""

    __slots__ = ("host", "netloc", "port")

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or ""
        self.port = parts.port or 443
        self.netloc = parts.netloc


class NodeClient:
    """Calls signer nodes over mutual TLS; use ``async with NodeClient(...)`` or call `aclose`."""

    def __init__(self, tls: ssl.SSLContext, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        """`tls` is the coordinator's client context (`custody.tls.client_context`); `timeout` bounds each
        call, connection set-up included."""
        self.timeout = timeout
        self._tls = tls
        self._origins: dict[str, _Origin] = {}
        self._idle: dict[str, list[_Connection]] = {}
        self._closed = False

    async def __aenter__(self) -> "NodeClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every idle connection; connections in use close when their call ends."""
        self._closed = True
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    async def call(
        self, node: RosterNode, method: str, path: str, body: BaseModel | None, answer: type[AnswerT]
    ) -> AnswerT:
        """Send `body` (JSON) to `node` and parse its answer as `answer`; see the module docstring."""
        origin = self._origins.get(node.url)
        if origin is None:
            origin = self._origins[node.url] = _Origin(node.url)
        content = body.model_dump_json().encode() if body is not None else b""
        head = (
            f"{method} {path} HTTP/1.1\r\nhost: {origin.netloc}\r\ncontent-type: application/json\r\n"
            f"accept: application/json\r\ncontent-length: {len(content)}\r\n\r\n"
        )
        request = head.encode() + content
        connection: _Connection | None = None
        answered = False
        try:
            async with asyncio.timeout(self.timeout):
                connection = await self._connection(node, origin)
                status, payload, keep_alive = await connection.exchange(request)
            answered = True
        except TimeoutError:
            raise NodeUnavailable(node.node_id, f"no answer within {self.timeout:g} s") from None
        except _AnswerTooLarge:
            raise NodeMisbehaved(node.node_id, f"answered with more than {MAX_ANSWER_BYTES} bytes") from None
        except (OSError, ssl.SSLError, httptools.HttpParserError) as error:
            raise NodeUnavailable(node.node_id, f"cannot reach {node.url}: {type(error).__name__}") from None
        finally:
            if connection is not None and not answered:
                connection.close()  # failed, timed out or cancelled mid-call: never reused
        self._release(node.url, connection, keep_alive)
        if status >= 500:
            raise NodeUnavailable(node.node_id, f"answered {status}")
        if status >= 400:
            raise NodeRefused(node.node_id, status, _problem(payload))
        try:
            return answer.model_validate_json(payload)
        except ValidationError as error:
            raise NodeMisbehaved(
                node.node_id, f"answered {status} with an invalid {answer.__name__}: {error.title}"
            ) from None

    async def _connection(self, node: RosterNode, origin: _Origin) -> _Connection:
        """An idle connection to `node`, or a new one whose server certificate is the roster's."""
        idle = self._idle.get(node.url)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if connection.usable(now):
                return connection
            connection.close()
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(
            _Connection, origin.host, origin.port, ssl=self._tls, server_hostname=origin.host
        )
        self._check_identity(node, connection)
        return connection

    def _release(self, url: str, connection: _Connection, keep_alive: bool) -> None:
        """Put a connection whose call ended with a complete answer back in the pool, if it may be reused."""
        connection.idle_since = time.monotonic()
        idle = self._idle.setdefault(url, [])
        if self._closed or not keep_alive or connection.closed or len(idle) >= MAX_IDLE_CONNECTIONS_PER_NODE:
            connection.close()
        else:
            idle.append(connection)

    @staticmethod
    def _check_identity(node: RosterNode, connection: _Connection) -> None:
        """The server certificate of a new connection is the one the roster pins for `node`."""
        assert connection.transport is not None
        ssl_object = connection.transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if der is None or hashlib.sha256(der).hexdigest() != node.tls_sha256:
            connection.close()
            raise NodeMisbehaved(
                node.node_id, f"the server at {node.url} did not present the certificate the roster pins"
            )

    async def round1(self, node: RosterNode, request: Round1Request) -> Round1Response:
        """``POST /v1/sign/round1``."""
        return await self.call(node, "POST", "/v1/sign/round1", request, Round1Response)

    async def round2(self, node: RosterNode, request: Round2Request) -> Round2Response:
        """``POST /v1/sign/round2``."""
        return await self.call(node, "POST", "/v1/sign/round2", request, Round2Response)

    async def health(self, node: RosterNode) -> HealthResponse:
        """``GET /v1/health``."""
        return await self.call(node, "GET", "/v1/health", None, HealthResponse)
