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
from chain.bridge.contracts import OnchainSignature
from chain.intents import BridgeBatch
from payments.rails.custody_requests import request_signature
from relay.bridge.delivery import Signer
from tests.helpers.custody_nodes import CustodyGroup
from tests.helpers.db import session_on
from tests.helpers.frost_signing import fixed_key
from tests.relay.bridge.conftest import (  # noqa: F401  (fixtures)
    CUSTODY_SEED,
    Bridges,
    bridges,
    engine,
    l1_anvil,
    l2_anvil,
)

KEY_ID = "treasury"


def bridge_policy(l2_bridge: str) -> str:
    """BridgeBatch signatures on `l2_bridge` for the 31337 -> 31338 route, 100 an hour."""
    return (
        "version: 1\n"
        "default:\n"
        "  chains:\n"
        "    31338:\n"
        "      contracts:\n"
        f'        "{l2_bridge}": [BridgeBatch]\n'
        "      bridge_batch:\n"
        "        routes: [{src_chain_id: 31337, dst_chain_id: 31338}]\n"
        "        velocity: {max_signatures: 100, window_seconds: 3600}\n"
    )


@pytest.fixture
def group(tmp_path_factory: pytest.TempPathFactory, bridges: Bridges) -> Iterator[CustodyGroup]:  # noqa: F811
    with CustodyGroup(
        tmp_path_factory.mktemp("bridge-group"),
        {KEY_ID: fixed_key(CUSTODY_SEED)},
        size=3,
        policy_yaml=bridge_policy(bridges.l2.address),
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


@pytest.fixture
def sign(signer_client: TestClient, bridges: Bridges) -> Signer:  # noqa: F811
    def signer(intent: BridgeBatch, key: str) -> OnchainSignature:
        return request_signature(signer_client, KEY_ID, intent, 31338, bridges.l2.address, key)

    return signer
