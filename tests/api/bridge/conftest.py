"""Fixtures of the bridge relay's custody path: a real custody group (three node processes) under a policy
that allows BridgeBatch signatures on this test's L2 bridge for the L1 -> L2 route, the API in process as
the relay's custody coordinator, and the relay's signer asking it with a `custody:sign` key."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_api_key
from api.settings import ApiSettings
from chain.bridge.contracts import Bridge, OnchainSignature
from chain.intents import BridgeBatch
from payments.rails.custody_requests import request_signature
from relay.bridge.delivery import Signer
from tests.helpers.bridge_pair import CUSTODY_SEED, KEY_ID, Bridges, bridge_policy
from tests.helpers.custody_nodes import CustodyGroup
from tests.helpers.db import session_on
from tests.helpers.frost_signing import fixed_key
from tests.relay.bridge.conftest import (  # noqa: F401  (fixtures)
    bridges,
    engine,
    l1_anvil,
    l2_anvil,
)


@pytest.fixture
def group(tmp_path_factory: pytest.TempPathFactory, bridges: Bridges) -> Iterator[CustodyGroup]:  # noqa: F811
    with CustodyGroup(
        tmp_path_factory.mktemp("bridge-group"),
        {KEY_ID: fixed_key(CUSTODY_SEED)},
        size=3,
        policy_yaml=bridge_policy(bridges.l1.address, bridges.l2.address),
    ) as group:
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

    def signer(intent: BridgeBatch, key: str) -> OnchainSignature:
        return request_signature(client, KEY_ID, intent, chain_id, destination.address, key)

    return signer


@pytest.fixture
def sign(signer_client: TestClient, bridges: Bridges) -> Signer:  # noqa: F811
    """Signs batches of deposits (attested on L2)."""
    return signer_for(signer_client, bridges.l2)


@pytest.fixture
def sign_l1(signer_client: TestClient, bridges: Bridges) -> Signer:  # noqa: F811
    """Signs batches of withdrawals (attested on L1)."""
    return signer_for(signer_client, bridges.l1)
