"""Fixtures of the bridge relay's custody path: a real custody group (three node processes) under a policy
that allows BridgeBatch signatures on this test's bridges for the route into each, each node witnessing the
batches on both anvils itself (messages `WITNESS_CONFIRMATIONS` deep, required), the API in process as the
relay's custody coordinator, and the relay's signer asking it with a `custody:sign` key and the batch's
messages."""

import json
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
WITNESS_CONFIRMATIONS = 2
"""The nodes' depth for bridge messages: the relay tests' own (`CONFIRMATIONS`), so every batch the relay
cuts is deep enough."""


def _chain_rules(chain_id: int, bridge: str, src_chain_id: int) -> str:
    return (
        f"    {chain_id}:\n"
        "      contracts:\n"
        f'        "{bridge}": [BridgeBatch]\n'
        "      bridge_batch:\n"
        f"        routes: [{{src_chain_id: {src_chain_id}, dst_chain_id: {chain_id}}}]\n"
        "        velocity: {max_signatures: 100, window_seconds: 3600}\n"
        f"        confirmations: {WITNESS_CONFIRMATIONS}\n"
        "        require_chain_witness: true\n"
    )


def bridge_policy(l1_bridge: str, l2_bridge: str) -> str:
    """BridgeBatch signatures on each bridge for the route into it, 100 an hour per chain, each batch
    witnessed on both chains."""
    return (
        "version: 1\ndefault:\n  chains:\n"
        + _chain_rules(31337, l1_bridge, 31338)
        + _chain_rules(31338, l2_bridge, 31337)
    )


def witness_rpc_urls(bridges: Bridges) -> dict[int, str]:  # noqa: F811
    """The nodes' RPC URLs of both chains (chain id -> URL)."""
    return {31337: bridges.l1_node.url, 31338: bridges.l2_node.url}


@pytest.fixture
def group(tmp_path_factory: pytest.TempPathFactory, bridges: Bridges) -> Iterator[CustodyGroup]:  # noqa: F811
    with CustodyGroup(
        tmp_path_factory.mktemp("bridge-group"),
        {KEY_ID: fixed_key(CUSTODY_SEED)},
        size=3,
        policy_yaml=bridge_policy(bridges.l1.address, bridges.l2.address),
        extra_env={"TPW_NODE_WITNESS_RPC_URLS": json.dumps(witness_rpc_urls(bridges))},
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
