"""`/v1/markets/{id}/stream` over the wire, served by uvicorn: refusals are HTTP answers to the upgrade
(the problem document's status), and a paper trader's order reaches a real WebSocket client."""

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from api.auth import issue_api_key
from api.settings import ApiSettings
from scripts._support.processes import LOOPBACK
from tests.api.merchants.conftest import Caller, onboard
from tests.helpers.db import session_on
from tests.helpers.served import serving_app


@pytest.fixture
def http(app: FastAPI) -> Iterator[httpx.Client]:
    with serving_app(app) as server:
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx.Client(base_url=f"http://{LOOPBACK}:{port}", timeout=20) as client:
            yield client


def test_a_served_stream(http: httpx.Client, api_settings: ApiSettings) -> None:
    with session_on(api_settings.database_url) as session:
        admin = Caller(http, issue_api_key(session, "desk", ["merchants:admin"]).token)
    trader = onboard(http, admin, "Paper Co").sandbox
    url = str(http.base_url.copy_with(scheme="ws")).rstrip("/") + "/v1/markets/{}/stream"

    def refused(market: str, token: str | None) -> int:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with pytest.raises(InvalidStatus) as denied, connect(url.format(market), additional_headers=headers):
            pass
        return denied.value.response.status_code

    assert refused("BTC-USD", trader.token) == 404
    assert refused("TPW-tUSD", None) == 401
    assert trader.post("/v1/markets/TPW-tUSD/sandbox-funds", {"quote": "100"}).status_code == 200
    with connect(
        url.format("TPW-tUSD"), additional_headers={"Authorization": f"Bearer {trader.token}"}
    ) as ws:
        snapshot = json.loads(ws.recv(timeout=10))
        assert (snapshot["type"], snapshot["seq"], snapshot["livemode"]) == ("snapshot", 0, False)
        body = {"market": "TPW-tUSD", "side": "buy", "price": "1.25", "qty": "2"}
        assert trader.post("/v1/orders", body).status_code == 201
        update = json.loads(ws.recv(timeout=10))
        assert (update["seq"], update["changes"]) == (1, [{"side": "buy", "price": "1.25", "qty": "2"}])
