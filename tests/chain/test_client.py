"""The web3 client factory and the readiness wait, against small local JSON-RPC servers and a real anvil."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from web3 import HTTPProvider, LegacyWebSocketProvider
from websockets.sync.server import ServerConnection, serve

from chain.client import chain_id, make_web3, wait_for_rpc
from chain.errors import InvalidRpcUrl, RpcUnavailable, UnsupportedRpcScheme
from scripts._support.anvil import AnvilConfig, AnvilNode
from scripts._support.processes import free_port

FAKE_CHAIN_ID = 4242


def rpc_reply(body: bytes) -> bytes:
    """What a node on chain FAKE_CHAIN_ID answers to `eth_chainId` (the only call these tests make)."""
    request = json.loads(body)
    assert request["method"] == "eth_chainId"
    return json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": hex(FAKE_CHAIN_ID)}).encode()


class ChainIdHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        reply = rpc_reply(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


def serve_http(port: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), ChainIdHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def http_node() -> Iterator[str]:
    server = serve_http(0)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def ws_node() -> Iterator[str]:
    def answer(connection: ServerConnection) -> None:
        for message in connection:
            connection.send(rpc_reply(message.encode() if isinstance(message, str) else message).decode())

    server = serve(answer, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}"
    server.shutdown()


@pytest.mark.parametrize("url", ["ftp://127.0.0.1:8545", "127.0.0.1:8545", "file:///tmp/node.ipc", "ipc://x"])
def test_unknown_schemes_are_refused(url: str) -> None:
    with pytest.raises(UnsupportedRpcScheme, match="use one of http, https, ws, wss"):
        make_web3(url)


def test_a_url_without_host_is_refused() -> None:
    with pytest.raises(InvalidRpcUrl, match="names no host"):
        make_web3("http:///path")


def test_transport_follows_the_scheme() -> None:
    http = make_web3("https://127.0.0.1:8545", timeout=3)
    assert isinstance(http.provider, HTTPProvider)
    assert http.provider.get_request_kwargs()["timeout"] == 3
    ws = make_web3("WSS://127.0.0.1:8545", timeout=2.5)
    assert isinstance(ws.provider, LegacyWebSocketProvider)
    assert ws.provider.websocket_timeout == 3  # whole seconds, rounded up


def test_http_client_talks_to_a_node(http_node: str) -> None:
    assert chain_id(make_web3(http_node)) == FAKE_CHAIN_ID


def test_websocket_client_talks_to_a_node(ws_node: str) -> None:
    assert chain_id(make_web3(ws_node)) == FAKE_CHAIN_ID


def test_wait_for_rpc_gives_up_and_keeps_secrets_out_of_the_message() -> None:
    port = free_port()
    started = time.monotonic()
    expected = rf"no node answered at http://127.0.0.1:{port} within 0.5s"
    with pytest.raises(RpcUnavailable, match=expected) as error:
        wait_for_rpc(f"http://user:hunter2@127.0.0.1:{port}/v3/apikey123", timeout=0.5)
    assert 0.4 <= time.monotonic() - started < 3
    assert "hunter2" not in str(error.value)
    assert "apikey123" not in str(error.value)


def test_wait_for_rpc_waits_for_a_node_that_starts_late() -> None:
    port = free_port()
    servers: list[ThreadingHTTPServer] = []
    starter = threading.Timer(0.5, lambda: servers.append(serve_http(port)))
    starter.start()
    try:
        w3 = wait_for_rpc(f"http://127.0.0.1:{port}", timeout=10)
        assert chain_id(w3) == FAKE_CHAIN_ID
    finally:
        starter.join()
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.mark.devnet
def test_http_and_websocket_against_anvil(tmp_path) -> None:
    node = AnvilNode(AnvilConfig("client", free_port(), 31337), log_dir=tmp_path)
    with node:
        http = wait_for_rpc(node.url, timeout=30)
        ws = wait_for_rpc(node.url.replace("http://", "ws://"), timeout=30)
        assert chain_id(http) == chain_id(ws) == 31337
        assert ws.eth.block_number == http.eth.block_number
