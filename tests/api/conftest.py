"""Fixtures of the API tests: settings per database backend, a running app, and an in-process chain.

The app runs through its real lifespan (migrations included) under `TestClient`; its database is handed over
already at the migrations' head (`migrated_database_url`: the chain runs once per session, not per test),
except in tests/api/test_migrations.py, where the app's start migrates an empty database. Chain nodes are
either a closed loopback port (a node that is down) or py-evm in-process (`EthereumTesterProvider`), handed to
the app by overriding its `get_chain_clients` dependency.
"""

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web3 import EthereumTesterProvider, Web3

from api.app import create_app
from api.deps import get_chain_clients
from api.rpc import ChainClients
from api.settings import ApiSettings, Network
from tests.helpers.db import (  # noqa: F401  (fixtures)
    database_url,
    head_templates,
    migrated_database_url,
    pg_url,
    sqlite_url,
)


class InProcessChains(ChainClients):
    """The settings' nodes, except the networks given here, which are in-process chains."""

    def __init__(self, settings: ApiSettings, clients: dict[Network, Web3]) -> None:
        super().__init__(settings)
        self._clients = clients

    def web3(self, network: Network) -> Web3:
        if network in self._clients:
            return self._clients[network]
        return super().web3(network)


@pytest.fixture
def closed_port_url() -> str:
    """An http URL on loopback where nothing listens: the port was just free and is closed again."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def api_database_url(migrated_database_url: str) -> str:  # noqa: F811
    """The database `api_settings` names: this test's, at the migrations' head."""
    return migrated_database_url


@pytest.fixture
def api_settings(api_database_url: str, closed_port_url: str, tmp_path: Path) -> ApiSettings:
    """Settings on this test's database, with both chain nodes down and an empty deployments folder, and no
    background monitoring round (a freeze placed at a moment no test chose would make others flaky; the
    monitoring's tests run `app.state.monitor.run_once()` themselves)."""
    return ApiSettings(
        database_url=api_database_url,
        l1_rpc_url=closed_port_url,
        l2_rpc_url=closed_port_url,
        deployments_dir=tmp_path / "deployments",
        rpc_timeout_seconds=1.0,
        finality_blocks=3,
        custody_roster_path=tmp_path / "custody" / "roster.json",
        custody_tls_dir=tmp_path / "custody" / "coordinator",
        custody_audit_path=tmp_path / "custody" / "audit.jsonl",
        merchant_ca_dir=tmp_path / "merchants" / "ca",
        matching_dir=tmp_path / "matching",
        monitoring_interval_seconds=0,
    )


@pytest.fixture
def app(api_settings: ApiSettings) -> FastAPI:
    return create_app(api_settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """The app, started (database migrated) and stopped around the test."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def l1_chain() -> Web3:
    """A fresh py-evm chain with funded, unlocked accounts."""
    return Web3(EthereumTesterProvider())


@pytest.fixture
def l1_in_process(app: FastAPI, api_settings: ApiSettings, l1_chain: Web3) -> Web3:
    """Serve `l1` from `l1_chain`; `l2` stays down."""
    app.dependency_overrides[get_chain_clients] = lambda: InProcessChains(api_settings, {"l1": l1_chain})
    return l1_chain
