"""/health: 200 when the database and both nodes answer, 503 problem+json naming what failed."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from web3 import Web3

from api.db import make_engine, make_session_factory
from api.deps import get_chain_clients
from api.health.service import check_database
from api.settings import ApiSettings
from tests.api.conftest import InProcessChains


def test_health_ok_when_everything_answers(
    app: FastAPI, client: TestClient, api_settings: ApiSettings, l1_chain: Web3
):
    app.dependency_overrides[get_chain_clients] = lambda: InProcessChains(
        api_settings, {"l1": l1_chain, "l2": l1_chain}
    )
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": {"status": "ok", "detail": None, "chain_id": None},
            "l1_rpc": {"status": "ok", "detail": None, "chain_id": str(l1_chain.eth.chain_id)},
            "l2_rpc": {"status": "ok", "detail": None, "chain_id": str(l1_chain.eth.chain_id)},
        },
    }


def test_health_503_names_the_nodes_that_are_down(client: TestClient, api_settings: ApiSettings):
    response = client.get("/health")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:tpwallet:problem:unhealthy"
    assert problem["status"] == 503
    assert problem["detail"] == "failing checks: l1_rpc, l2_rpc"
    assert problem["checks"]["database"] == {"status": "ok"}
    assert problem["checks"]["l1_rpc"]["status"] == "fail"
    assert problem["checks"]["l2_rpc"]["status"] == "fail"
    assert api_settings.l1_rpc_url not in response.text  # the URL may carry an API key


def test_health_503_when_only_one_node_is_down(
    app: FastAPI, client: TestClient, api_settings: ApiSettings, l1_in_process: Web3
):
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["detail"] == "failing checks: l2_rpc"
    assert response.json()["checks"]["l1_rpc"] == {
        "status": "ok",
        "chain_id": str(l1_in_process.eth.chain_id),
    }


def test_database_check_fails_when_the_database_cannot_be_opened(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path}")  # a directory, not a database file
    try:
        with make_session_factory(engine)() as session:
            check = check_database(session)
    finally:
        engine.dispose()
    assert check.status == "fail"
    assert check.detail == "database query failed (OperationalError)"


def test_head_health_answers_the_status_of_get_without_a_body(
    app: FastAPI, client: TestClient, api_settings: ApiSettings, l1_chain: Web3
):
    """Load balancers probe with HEAD: it must be 200 when healthy, not 405."""
    down = client.head("/health")
    assert (down.status_code, down.content) == (503, b"")
    app.dependency_overrides[get_chain_clients] = lambda: InProcessChains(
        api_settings, {"l1": l1_chain, "l2": l1_chain}
    )
    up = client.head("/health")
    assert (up.status_code, up.content) == (200, b"")
    assert up.headers["x-request-id"]
