"""In-process signer nodes for fast tests: each node's real runtime and app, reached without TLS.

The app is wrapped with the ASGI TLS extension a real connection would carry (`with_tls_extension`), so the
peer checks run exactly as behind uvicorn. A settable clock drives nonce expiry and the policy's windows.
"""

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient

from custody.node.http.app import create_app
from custody.node.http.transport import tls_extension, with_tls_extension
from custody.node.runtime import NodeRuntime, open_runtime
from custody.node.settings import NodeSettings
from custody.tls import Credential
from tests.helpers.custody_nodes import TEST_KEY_ID, TEST_KEY_VERSION, CustodyGroup, anchor_intent, request_id

START_TIME = 1_900_000_000
NONCE_TTL_SECONDS = 60


def round1_json() -> dict[str, Any]:
    """A well-formed round-one body for the group's test key, as the coordinator would send it."""
    return {
        "session_id": "a" * 32,
        "key_id": TEST_KEY_ID,
        "key_version": TEST_KEY_VERSION,
        "request_id": request_id(),
        "intent": anchor_intent().model_dump(mode="json"),
    }


class Clock:
    """Unix seconds that a test moves by hand."""

    def __init__(self, now: int = START_TIME) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def peer_client(runtime_app: object, credential: Credential | None) -> TestClient:
    """A client whose requests carry `credential` as their verified client certificate (or none)."""
    der = credential.certificate.public_bytes(Encoding.DER) if credential is not None else None
    return TestClient(with_tls_extension(runtime_app, tls_extension(der)))  # type: ignore[arg-type]


@dataclass
class LocalNode:
    """One in-process node: its runtime, its app, and a client speaking as the coordinator."""

    node_id: int
    runtime: NodeRuntime
    app: object
    client: TestClient

    def as_peer(self, credential: Credential | None) -> TestClient:
        """A client speaking to this node with another certificate (or none); it does not run the lifespan."""
        return peer_client(self.app, credential)


def open_local_node(group: CustodyGroup, node_id: int, clock: Clock) -> NodeRuntime:
    """The runtime of node `node_id` of `group`, as the node process would open it."""
    settings = NodeSettings(
        node_id=node_id, data_dir=group.nodes[node_id].data_dir, nonce_ttl_seconds=NONCE_TTL_SECONDS
    )
    return open_runtime(settings, group.kek, clock=clock)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def coordinator_credential(group_files: CustodyGroup) -> Credential:
    """The coordinator's own credential, whose certificate the roster pins."""
    paths = group_files.coordinator_tls
    return Credential.read(paths.certificate, paths.key)


@pytest.fixture
def local_nodes(
    group_files: CustodyGroup, clock: Clock, coordinator_credential: Credential
) -> Iterator[dict[int, LocalNode]]:
    """Nodes 1-3 of a 2-of-3 group, in process, started (lifespan run) and closed after the test."""
    with ExitStack() as stack:
        nodes = {}
        for node_id in group_files.nodes:
            runtime = open_local_node(group_files, node_id, clock)
            app = create_app(runtime)
            client = stack.enter_context(peer_client(app, coordinator_credential))
            nodes[node_id] = LocalNode(node_id, runtime, app, client)
        yield nodes
