"""Fixtures of the bridge relay's custody path: a real custody group (three node processes,
`tests.helpers.bridge_pair.bridge_group`) under a policy that allows BridgeBatch signatures on this test's
bridges for the route into each, each node witnessing the batches on both anvils itself (messages
`WITNESS_CONFIRMATIONS` deep, required), the API in process as the relay's custody coordinator, and the
relay's signer asking it with a `custody:sign` key and the batch's messages."""

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_api_key
from api.settings import ApiSettings
from chain.bridge.contracts import Bridge, OnchainSignature
from chain.bridge.message import Message
from chain.intents import BridgeBatch
from custody.protocol.bridge_messages import BridgeMessages
from payments.rails.custody_requests import request_signature
from relay.bridge.delivery import Signer
from tests.helpers.bridge_pair import KEY_ID, Bridges, bridge_group
from tests.helpers.custody_nodes import CustodyGroup
from tests.helpers.db import session_on
from tests.relay.bridge.conftest import (  # noqa: F401  (fixtures)
    bridges,
    engine,
    l1_anvil,
    l2_anvil,
)


@pytest.fixture
def group(tmp_path_factory: pytest.TempPathFactory, bridges: Bridges) -> Iterator[CustodyGroup]:  # noqa: F811
    with bridge_group(tmp_path_factory.mktemp("bridge-group"), bridges) as group:
        group.start()
        yield group


@pytest.fixture
def settings(api_settings: ApiSettings, group: CustodyGroup, tmp_path: Path) -> ApiSettings:
    return api_settings.model_copy(
        update={
            "custody_roster_path": group.nodes[1].data_dir / "roster.json",
            "custody_tls_dir": group.root / "coordinator",
            "custody_audit_path": tmp_path / "custody" / "audit.jsonl",
        }
    )


@pytest.fixture
def app(settings: ApiSettings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def signer_client(client: TestClient, settings: ApiSettings) -> TestClient:
    """The API as the relay calls it: a key with `custody:sign` only."""
    with session_on(settings.database_url) as session:
        token = issue_api_key(session, "bridge-relay", ("custody:sign",)).token
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def signer_for(client: TestClient, destination: Bridge) -> Signer:
    """Signatures of batches attested on `destination`, asked of the API with `client`'s key."""
    chain_id = int(destination.w3.eth.chain_id)

    def signer(intent: BridgeBatch, messages: Sequence[Message], key: str) -> OnchainSignature:
        evidence = BridgeMessages.of(messages).model_dump(mode="json")
        return request_signature(
            client, KEY_ID, intent, chain_id, destination.address, key, bridge_messages=evidence
        )

    return signer


@pytest.fixture
def sign(signer_client: TestClient, bridges: Bridges) -> Signer:  # noqa: F811
    """Signs batches of deposits (attested on L2)."""
    return signer_for(signer_client, bridges.l2)


@pytest.fixture
def sign_l1(signer_client: TestClient, bridges: Bridges) -> Signer:  # noqa: F811
    """Signs batches of withdrawals (attested on L1)."""
    return signer_for(signer_client, bridges.l1)
