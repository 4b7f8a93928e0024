"""GET /v1/subscriptions/plans, /plans/{plan_id} and /{subscription_id} on an in-process chain.

tUSD and a SubscriptionManager are deployed on the in-process l1 (py-evm) and recorded in the l1 registry;
the answers are checked against the contract's own views.
"""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web3 import Web3

from api.settings import ApiSettings
from chain.deployments import Deployments
from chain.transactions import send_call
from tests.chain.conftest import compiled_manifest  # noqa: F401  (fixture)
from tests.helpers.subscription_world import GRACE, PERIOD, PRICE, World, build_world

ZERO_HASH = "0x" + "00" * 32


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: these routes read the chain and never the database, so one backend is enough."""
    return sqlite_url


@pytest.fixture
def world(l1_in_process: Web3, compiled_manifest: Path) -> World:  # noqa: F811
    return build_world(l1_in_process, l1_in_process.eth.accounts[0])


def record(api_settings: ApiSettings, w3: Web3, name: str, address: str, chain_id: int | None = None) -> None:
    registry = Deployments.create(
        api_settings.deployments_network("l1"), chain_id or w3.eth.chain_id, api_settings.deployments_dir
    )
    registry.record(name, address=address, tx_hash=ZERO_HASH, block_number=0)
    registry.save()


@pytest.fixture
def recorded(world: World, api_settings: ApiSettings) -> World:
    """The world's manager in the l1 registry."""
    record(api_settings, world.w3, "SubscriptionManager", world.manager.address)
    return world


def travel(w3: Web3, seconds: int) -> None:
    tester: Any = w3.provider.ethereum_tester  # type: ignore[attr-defined]
    tester.time_travel(int(w3.eth.get_block("latest")["timestamp"]) + seconds + 1)


def test_lists_plans_with_their_terms(client: TestClient, recorded: World) -> None:
    world = recorded
    second = world.manager.create_plan(world.merchant, world.token.address, 3 * PRICE, 7 * 86_400, trial=3600)
    response = client.get("/v1/subscriptions/plans")
    assert response.status_code == 200
    body = response.json()
    latest = world.w3.eth.get_block("latest")
    where = (body["network"], body["chain_id"], body["manager"])
    assert where == ("l1", str(world.w3.eth.chain_id), world.manager.address)
    assert (body["block_number"], body["block_timestamp"]) == (latest["number"], latest["timestamp"])
    assert (body["total"], body["has_more"]) == ("2", False)
    assert body["data"] == [  # every one of a plan's integers is a uint256 in the contract: a string
        {
            "plan_id": str(world.plan_id),
            "merchant": world.merchant.address,
            "token": world.token.address,
            "amount": str(PRICE),
            "fee_bps": "0",
            "fee": "0",
            "merchant_amount": str(PRICE),
            "period": str(PERIOD),
            "trial": "0",
            "grace": str(GRACE),
            "max_periods": "0",
            "paused": False,
        },
        {
            "plan_id": str(second),
            "merchant": world.merchant.address,
            "token": world.token.address,
            "amount": str(3 * PRICE),
            "fee_bps": "0",
            "fee": "0",
            "merchant_amount": str(3 * PRICE),
            "period": str(7 * 86_400),
            "trial": "3600",
            "grace": "0",
            "max_periods": "0",
            "paused": False,
        },
    ]


def test_plans_page_by_cursor_and_new_plans_never_shift_a_page(client: TestClient, recorded: World) -> None:
    world = recorded
    second = world.manager.create_plan(world.merchant, world.token.address, 2 * PRICE, PERIOD)
    first_page = client.get("/v1/subscriptions/plans", params={"limit": 1}).json()
    assert [plan["plan_id"] for plan in first_page["data"]] == [str(world.plan_id)]
    assert first_page["has_more"] is True
    third = world.manager.create_plan(world.merchant, world.token.address, 3 * PRICE, PERIOD)  # meanwhile

    served, cursor = [plan["plan_id"] for plan in first_page["data"]], first_page["next_cursor"]
    while True:
        page = client.get("/v1/subscriptions/plans", params={"limit": 1, "cursor": cursor}).json()
        served += [plan["plan_id"] for plan in page["data"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert served == [str(world.plan_id), str(second), str(third)]  # each once, in id order
    later = client.get("/v1/subscriptions/plans", params={"cursor": cursor}).json()
    assert (later["data"], later["has_more"], later["next_cursor"]) == ([], False, cursor)

    other_network = client.get("/v1/subscriptions/plans", params={"cursor": cursor, "network": "l2"})
    assert other_network.status_code == 400  # a cursor keeps its filters: refused before any chain is asked
    assert other_network.json()["errors"][0]["field"] == "cursor"


def test_one_plan_and_its_pause(client: TestClient, recorded: World) -> None:
    world = recorded
    world.manager.set_plan_paused(world.merchant, world.plan_id, True)
    body = client.get(f"/v1/subscriptions/plans/{world.plan_id}").json()
    assert body["plan"]["plan_id"] == str(world.plan_id)
    assert body["plan"]["paused"] is True


def test_unknown_plan_is_a_problem(client: TestClient, recorded: World) -> None:
    response = client.get("/v1/subscriptions/plans/99")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:tpwallet:problem:plan-not-found"
    assert client.get("/v1/subscriptions/plans/0").status_code == 404
    for malformed in ("abc", "01", "+1", "1.0", "-1"):
        response = client.get(f"/v1/subscriptions/plans/{malformed}")
        assert response.status_code == 422, malformed
        assert response.json()["errors"][0]["field"] == "plan_id"
    assert client.get("/v1/subscriptions/plans", params={"limit": 101}).status_code == 422


def test_a_subscription_through_its_life(client: TestClient, recorded: World) -> None:
    world = recorded
    subscriber = world.subscribers[0]
    subscription_id = world.manager.subscribe(subscriber, world.plan_id)
    body = client.get(f"/v1/subscriptions/{subscription_id}").json()
    state = world.manager.subscription(subscription_id)
    assert body["subscription"] == {
        "subscription_id": str(subscription_id),
        "subscriber": subscriber.address,
        "plan_id": str(world.plan_id),
        "status": "active",
        "paid_through": str(state.paid_through),
        "periods_paid": "1",
        "grace_ends": None,
        "due": False,
    }
    travel(world.w3, PERIOD)
    assert client.get(f"/v1/subscriptions/{subscription_id}").json()["subscription"]["due"] is True

    send_call(world.w3, subscriber, world.token.functions.approve(world.manager.address, 0))
    report = world.manager.charge(world.relayer, subscription_id)
    past_due = client.get(f"/v1/subscriptions/{subscription_id}").json()["subscription"]
    assert (past_due["status"], past_due["grace_ends"]) == ("past_due", str(report.failed[subscription_id]))

    world.manager.cancel(subscriber, subscription_id)
    cancelled = client.get(f"/v1/subscriptions/{subscription_id}").json()["subscription"]
    assert (cancelled["status"], cancelled["grace_ends"], cancelled["due"]) == ("cancelled", None, False)


def test_unknown_subscription_is_a_problem(client: TestClient, recorded: World) -> None:
    response = client.get("/v1/subscriptions/1")
    assert response.status_code == 404
    assert response.json()["type"] == "urn:tpwallet:problem:subscription-not-found"
    assert client.get(f"/v1/subscriptions/{2**256}").status_code == 422


def test_without_a_manager_in_the_registry(
    client: TestClient, world: World, api_settings: ApiSettings
) -> None:
    response = client.get("/v1/subscriptions/plans")
    assert response.status_code == 404
    assert response.json()["type"] == "urn:tpwallet:problem:subscriptions-not-deployed"
    record(api_settings, world.w3, "tUSD", world.token.address)
    response = client.get("/v1/subscriptions/1")
    assert response.status_code == 404
    assert response.json()["type"] == "urn:tpwallet:problem:subscriptions-not-deployed"


def test_a_registry_of_another_chain_is_refused(
    client: TestClient, world: World, api_settings: ApiSettings
) -> None:
    record(api_settings, world.w3, "SubscriptionManager", world.manager.address, chain_id=1)
    response = client.get("/v1/subscriptions/plans")
    assert response.status_code == 503
    assert response.json()["type"] == "urn:tpwallet:problem:registry-mismatch"


def test_networks(client: TestClient, recorded: World) -> None:
    assert client.get("/v1/subscriptions/plans", params={"network": "l3"}).status_code == 404
    response = client.get("/v1/subscriptions/plans", params={"network": "l2"})  # its node is down
    assert response.status_code == 503
    assert response.json()["type"] == "urn:tpwallet:problem:chain-unavailable"
