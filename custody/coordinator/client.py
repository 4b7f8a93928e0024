"""The coordinator's mutual-TLS HTTP client for signer nodes, and how a node's answer can fail.

One `NodeClient` (one `httpx.AsyncClient`) serves every node: it presents the coordinator's certificate,
trusts only the group CA (`custody.tls.client_context`) and keeps connections open between requests, so a
signature costs requests, not TLS handshakes. Every answer must come from the certificate the roster pins
for that node (``tls_sha256``): a process answering at a node's address with another node's certificate,
or any other, is refused, so blame always lands on the right node.

Each call ends in one of four ways: the parsed answer, `NodeUnavailable` (no answer within the timeout,
connection or TLS failure, a 5xx), `NodeRefused` (a 4xx problem document: the node looked and said no) or
`NodeMisbehaved` (a 2xx that is not a valid answer, or the wrong certificate). The timeout bounds the
whole call, however slowly a hung node trickles bytes.
"""

import asyncio
import hashlib
import ssl
import weakref
from typing import Any, Final, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from custody.errors import CustodyError
from custody.node.schemas import (
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
MAX_KEEPALIVE_CONNECTIONS: Final = 64

_JSON_HEADERS: Final = {"content-type": "application/json", "accept": "application/json"}

AnswerT = TypeVar("AnswerT", bound=BaseModel)


class NodeCallError(CustodyError):
    """A call to one node did not produce a usable answer; `node_id` says which node."""

    kind: str = "error"

    def __init__(self, node_id: int, detail: str) -> None:
        super().__init__(f"node {node_id}: {detail}")
        self.node_id = node_id
        self.detail = detail


class NodeUnavailable(NodeCallError):
    """The node did not answer in time, could not be reached, failed the handshake, or failed itself (5xx)."""

    kind = "unavailable"


class NodeRefused(NodeCallError):
    """The node answered with a 4xx problem document: it received the request and refused it."""

    kind = "refused"

    def __init__(self, node_id: int, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem_type = str(problem.get("type", ""))
        self.reasons: list[str] = [str(reason) for reason in problem.get("reasons", [])]
        super().__init__(node_id, f"{status} {self.problem_type}: {problem.get('detail', '')}")


class NodeMisbehaved(NodeCallError):
    """The node answered, but not as a node may: an invalid body, or a certificate other than the roster's."""

    kind = "misbehaved"


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class NodeClient:
    """Calls signer nodes over mutual TLS; use ``async with NodeClient(...)`` or call `aclose`."""

    def __init__(self, tls: ssl.SSLContext, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        """`tls` is the coordinator's client context (`custody.tls.client_context`); `timeout` bounds each
        call, connection set-up included."""
        self.timeout = timeout
        self._http = httpx.AsyncClient(
            verify=tls,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(
                max_keepalive_connections=MAX_KEEPALIVE_CONNECTIONS, keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS
            ),
            trust_env=False,
        )
        self._peer_fingerprints: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
        self._urls: dict[tuple[str, str], httpx.URL] = {}

    async def __aenter__(self) -> "NodeClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every open connection."""
        await self._http.aclose()

    async def call(
        self, node: RosterNode, method: str, path: str, body: BaseModel | None, answer: type[AnswerT]
    ) -> AnswerT:
        """Send `body` (JSON) to `node` and parse its answer as `answer`; see the module docstring."""
        content = body.model_dump_json().encode() if body is not None else None
        url = self._urls.get((node.url, path))
        if url is None:  # parsed once: httpx's URL parsing is a noticeable part of a request's cost
            url = self._urls[(node.url, path)] = httpx.URL(node.url + path)
        try:
            async with asyncio.timeout(self.timeout):
                response = await self._http.request(method, url, content=content, headers=_JSON_HEADERS)
        except TimeoutError:
            raise NodeUnavailable(node.node_id, f"no answer within {self.timeout:g} s") from None
        except (httpx.TransportError, ssl.SSLError) as error:
            raise NodeUnavailable(node.node_id, f"cannot reach {node.url}: {type(error).__name__}") from None
        self._check_identity(node, response)
        if response.status_code >= 500:
            raise NodeUnavailable(node.node_id, f"answered {response.status_code}")
        if response.status_code >= 400:
            raise NodeRefused(node.node_id, response.status_code, _problem(response))
        try:
            return answer.model_validate_json(response.content)
        except ValidationError as error:
            raise NodeMisbehaved(
                node.node_id,
                f"answered {response.status_code} with an invalid {answer.__name__}: {error.title}",
            ) from None

    def _check_identity(self, node: RosterNode, response: httpx.Response) -> None:
        """The response came over a connection whose server certificate is the one the roster pins.

        The fingerprint is computed once per connection (connections are reused for many requests).
        """
        stream = response.extensions.get("network_stream")
        fingerprint = self._peer_fingerprints.get(stream) if stream is not None else None
        if fingerprint is None and stream is not None:
            ssl_object = stream.get_extra_info("ssl_object")
            der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
            if der is not None:
                fingerprint = self._peer_fingerprints[stream] = hashlib.sha256(der).hexdigest()
        if fingerprint != node.tls_sha256:
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
