"""web3 clients for the project's nodes: a factory that picks the transport by URL, and a readiness wait.

Services and scripts talk to the chains with plain synchronous web3 (the relay and API run their own loops),
so a WebSocket URL gets web3 7's synchronous `LegacyWebSocketProvider`; its `WebSocketProvider` is async-only.
"""

import math
import time
from urllib.parse import urlsplit

from web3 import HTTPProvider, LegacyWebSocketProvider, Web3

from chain.errors import InvalidRpcUrl, RpcUnavailable, UnsupportedRpcScheme

HTTP_SCHEMES = frozenset({"http", "https"})
WEBSOCKET_SCHEMES = frozenset({"ws", "wss"})
DEFAULT_TIMEOUT = 10.0
POLL_INTERVAL = 0.1


def make_web3(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> Web3:
    """A web3 client for `url` (http, https, ws or wss) whose requests give up after `timeout` seconds.

    Nothing is sent yet: use `wait_for_rpc` to know the node answers.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in HTTP_SCHEMES | WEBSOCKET_SCHEMES:
        supported = ", ".join(sorted(HTTP_SCHEMES | WEBSOCKET_SCHEMES))
        raise UnsupportedRpcScheme(f"RPC URL scheme {scheme!r} is not supported: use one of {supported}")
    if not parts.hostname:
        raise InvalidRpcUrl(f"RPC URL {_redacted(url)!r} names no host")
    if scheme in WEBSOCKET_SCHEMES:
        # The provider takes whole seconds; round up so a short timeout never becomes none at all.
        return Web3(LegacyWebSocketProvider(url, websocket_timeout=math.ceil(timeout)))
    return Web3(HTTPProvider(url, request_kwargs={"timeout": timeout}))


def chain_id(w3: Web3) -> int:
    """The chain id the node reports (asked every time: a node may be restarted with another)."""
    return int(w3.eth.chain_id)


def wait_for_rpc(url: str, timeout: float, *, request_timeout: float = DEFAULT_TIMEOUT) -> Web3:
    """Poll `url` until the node answers `eth_chainId`, then return the client that got the answer.

    Used right after starting anvil, which takes a moment to listen. Raises `RpcUnavailable` once `timeout`
    seconds have passed without an answer. A refused connection fails at once; a host that accepts and never
    answers holds each attempt for up to `request_timeout` seconds, so the wait can overrun by that much.
    """
    w3 = make_web3(url, timeout=request_timeout)
    deadline = time.monotonic() + timeout
    while True:
        try:
            chain_id(w3)
        except Exception as error:  # any transport failure means "not up yet"
            last_error = error
        else:
            return w3
        if time.monotonic() + POLL_INTERVAL > deadline:
            raise RpcUnavailable(
                f"no node answered at {_redacted(url)} within {timeout}s (last: {type(last_error).__name__})"
            )
        time.sleep(POLL_INTERVAL)


def _redacted(url: str) -> str:
    """The URL without user info, path or query: hosted RPC URLs carry API keys there."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port that is not a number: say nothing about it
        port = ""
    return f"{parts.scheme}://{host}{port}"
