"""A parent's pool leg is a real swap on a real anvil: the devnet's TPW/tUSD pair deployed and seeded as
`make devnet` does it, found by the API through the deployments registry, quoted in `/v1/routes/quote`, and
swapped from the routing account when a slice runs: the pool's reserves move by exactly the leg."""

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from api.app import create_app
from api.routing.execution import Executed
from api.routing.runner import ParentOrders
from api.settings import ApiSettings
from chain.client import make_web3
from chain.deployments import Deployments
from chain.dev_accounts import dev_accounts
from chain.files import PRIVATE, write_atomic
from chain.liquidity import deployed_pool, pool_tokens
from chain.transactions import send_call
from ledger.check import verify
from matching.markets.spec import units_text
from scripts._support.anvil import AnvilNode
from scripts._support.stack.deployments import L1_NETWORK, LIQUIDITY_INDEX, Chain, deploy_lp_pool
from tests.api.merchants.conftest import Onboarded
from tests.api.orders.conftest import Fund, balances
from tests.api.routing.conftest import ManualClock
from tests.devnet.conftest import deploy_config, deployments_dir, l1_anvil  # noqa: F401  (fixtures)

WEI = 10**18


@pytest.fixture(scope="module")
def pool_dir(l1_anvil: AnvilNode, deployments_dir: Path) -> Path:  # noqa: F811
    deploy_lp_pool(Chain("L1", L1_NETWORK, l1_anvil), deployments_dir)
    return deployments_dir


@pytest.fixture
def app(api_settings: ApiSettings, l1_anvil: AnvilNode, pool_dir: Path, tmp_path: Path) -> FastAPI:  # noqa: F811
    key_file = tmp_path / "routing" / "swap.key"
    write_atomic(key_file, ("0x" + bytes(dev_accounts()[LIQUIDITY_INDEX].key).hex()).encode(), mode=PRIVATE)
    return create_app(
        api_settings.model_copy(
            update={
                "l1_rpc_url": l1_anvil.url,
                "deployments_dir": pool_dir,
                "routing_swap_key_path": key_file,
                "routing_interval_seconds": 0,
            }
        )
    )


@pytest.fixture
def reserves(l1_anvil: AnvilNode, pool_dir: Path) -> Any:  # noqa: F811
    registry = Deployments.load(L1_NETWORK, pool_dir)
    w3 = make_web3(l1_anvil.url)
    trader = dev_accounts()[LIQUIDITY_INDEX]  # the routing account: give it the TPW this test sells
    send_call(w3, dev_accounts()[0], registry.contract(w3, "TPW").functions.mint(trader.address, 40 * WEI))
    pool = deployed_pool(w3, registry)
    return lambda: pool.reserves(pool_tokens(registry)[0])


def test_a_sell_routes_to_the_pool_and_swaps_on_chain(
    app: FastAPI, merchant_a: Onboarded, fund: Fund, clock: ManualClock, reserves: Any
) -> None:
    fund(merchant_a, False, 100, 10_000)
    order = {"market": "TPW-tUSD", "side": "sell", "qty": "40", "limit_price": "2.40"}
    quoted = merchant_a.sandbox.post("/v1/routes/quote", order)
    assert quoted.status_code == 200, quoted.text
    legs = {leg["venue"]: leg for leg in quoted.json()["legs"]}
    # the pool pays ~2.4925 a TPW after its fee, less 0.48 tUSD of gas for the swap; the outside venue bids
    # 2.47, 2.46, 2.45 less 15 bps: for 40 TPW the pool is worth its gas
    assert legs["pool"]["reason"] == "cheapest"
    assert legs["pool"]["qty"] == "40"
    assert legs["pool"]["gas"] == "0.48"  # 160,000 gas at 1 gwei, ether at 3,000 tUSD
    assert legs["book"]["reason"] == "no_liquidity"
    before = reserves()

    created = merchant_a.sandbox.post(
        "/v1/parent-orders", {**order, "strategy": "twap", "duration_seconds": 60, "slices": 1}
    )
    assert created.status_code == 201, created.text
    assert app.state.parent_orders.run_due() == 1
    parent = merchant_a.sandbox.get(f"/v1/parent-orders/{created.json()['id']}").json()
    assert parent["status"] == "completed"
    assert [(leg["venue"], leg["status"], leg["filled_qty"]) for leg in parent["slices"][0]["legs"]] == [
        ("pool", "done", "40")
    ]
    after = reserves()
    assert after[0] == before[0] + 40 * WEI
    received = before[1] - after[1]
    assert parent["total"] == units_text(received - 480_000, 6)  # what the swap paid, less its gas
    # the merchant's ledger moved by exactly that: 40 TPW out, the swap's tUSD less its gas in, none held
    assert balances(merchant_a.sandbox) == {
        "TPW": ("60", "0"),
        "tUSD": (units_text(10_000 * 10**6 + received - 480_000, 6), "0"),
    }
    assert verify(app.state.engine) == []


def test_a_live_parent_swaps_on_the_pool_and_its_live_balances_move(
    app: FastAPI, merchant_a: Onboarded, fund: Fund, clock: ManualClock, reserves: Any
) -> None:
    fund(merchant_a, True, 100, 10_000)
    before = reserves()
    body = {"market": "TPW-tUSD", "side": "sell", "qty": "40", "limit_price": "2.40", "strategy": "twap"}
    created = merchant_a.live.post("/v1/parent-orders", {**body, "duration_seconds": 60, "slices": 1})
    assert created.status_code == 201, created.text
    assert app.state.parent_orders.run_due() == 1
    parent = merchant_a.live.get(f"/v1/parent-orders/{created.json()['id']}").json()
    assert [(leg["venue"], leg["status"]) for leg in parent["slices"][0]["legs"]] == [("pool", "done")]
    received = before[1] - reserves()[1]
    assert balances(merchant_a.live) == {
        "TPW": ("60", "0"),
        "tUSD": (units_text(10_000 * 10**6 + received - 480_000, 6), "0"),
    }
    assert balances(merchant_a.sandbox) == {"TPW": ("0", "0"), "tUSD": ("0", "0")}  # the other mode untouched


class Crash(BaseException):
    """The process dying right after the swap was mined, before its result was recorded."""


class CrashAfterSwap(ParentOrders):
    @staticmethod
    def _record(leg: dict[str, Any], executed: Executed) -> None:
        raise Crash


def test_a_swap_a_crash_interrupted_is_never_sent_again(
    app: FastAPI, merchant_a: Onboarded, fund: Fund, clock: ManualClock, reserves: Any
) -> None:
    fund(merchant_a, False, 100, 10_000)
    body = {"market": "TPW-tUSD", "side": "sell", "qty": "40", "limit_price": "2.40", "strategy": "twap"}
    created = merchant_a.sandbox.post("/v1/parent-orders", {**body, "duration_seconds": 60, "slices": 1})
    before = reserves()
    state = app.state
    crashing = CrashAfterSwap(state.engine, state.spot_markets, state.parent_orders.venues, clock)
    with pytest.raises(Crash):
        crashing.run_due()
    assert reserves()[0] == before[0] + 40 * WEI  # the swap was mined

    assert state.parent_orders.run_due() == 1  # another runner on the same database carries on
    parent = merchant_a.sandbox.get(f"/v1/parent-orders/{created.json()['id']}").json()
    assert [(leg["venue"], leg["status"]) for leg in parent["slices"][0]["legs"]] == [("pool", "unknown")]
    assert reserves()[0] == before[0] + 40 * WEI  # and not swapped again
    # the 40 TPW stay held, neither spent nor free, until the operator reconciles the swap
    assert balances(merchant_a.sandbox)["TPW"] == ("60", "40")
