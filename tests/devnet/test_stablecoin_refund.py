"""A stablecoin refund end to end on the devnet stack (real anvils, signer nodes, API, payments watcher): an
intent paid on-chain through the PaymentRouter is refunded over the API; the watcher's payout worker has the
custody group sign a `CustodyTransfer` through the API's coordinator, sends it out of the treasury to the
payer, and completes the refund once it is confirmed; the day then reconciles with no break, the refund
matched against the treasury's transfer. Reads like the demo's stablecoin part."""

import datetime
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chain.artifacts import contract
from chain.client import make_web3
from chain.dev_accounts import dev_accounts
from chain.paths import PROJECT_ROOT
from chain.payment_router import PaymentRouter
from chain.transactions import send_call
from ledger.check import verify
from scripts._support.anvil import rpc_call
from scripts._support.processes import free_port, free_port_run
from scripts._support.stack.api import request_json
from scripts._support.stack.config import DevnetSettings
from scripts._support.stack.devnet import DevnetStack, running_stack
from tests.helpers.db import engine_on

pytestmark = [pytest.mark.devnet, pytest.mark.slow]

WAIT_SECONDS = 60.0


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevnetStack]:
    var = tmp_path_factory.mktemp("var")
    settings = DevnetSettings(
        l1_port=free_port(),
        l2_port=free_port(),
        api_port=free_port(),
        node_base_port=free_port_run(3),
        var_dir=var,
        deployments_dir=var / "deployments",
    )
    with running_stack(settings) as running:
        yield running


@pytest.fixture(scope="module")
def shop_key(stack: DevnetStack) -> str:
    """An API key with the payment scopes, made the way an operator makes one."""
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "api.apikeys",
            "create",
            "--name",
            "shop",
            "--scopes",
            "payments:read,payments:write",
        ],
        env={**os.environ, "TPW_DATABASE_URL": stack.database_url},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return created.stdout.strip().splitlines()[-1]


def wait_for(stack: DevnetStack, what: str, check: Any) -> Any:
    """Mine a block at a time (the watcher reads one confirmation deep) until `check()` answers."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        answer = check()
        if answer:
            return answer
        rpc_call(stack.chains[0].url, "evm_mine")
        time.sleep(0.5)
    raise AssertionError(f"still waiting for {what} after {WAIT_SECONDS:.0f}s")


def test_a_stablecoin_payment_refunded_through_custody(stack: DevnetStack, shop_key: str) -> None:
    def api(method: str, path: str, body: dict[str, object] | None = None) -> dict[str, Any]:
        return request_json(stack.api_url, shop_key, method, path, body)

    l1 = stack.chains[0]
    assert l1.deployments is not None
    w3 = make_web3(l1.url)
    deployer, payer = dev_accounts()[0], dev_accounts()[5]
    tusd = contract(w3, "Token", l1.deployments.get("tUSD").address)
    treasury = l1.deployments.get("MultisigTreasury").address
    send_call(w3, deployer, tusd.functions.mint(payer.address, 50 * 10**6))
    before = int(tusd.functions.balanceOf(payer.address).call())

    # The shop's intent, confirmed; the payer's wallet reads how to pay and pays.
    intent = api(
        "POST",
        "/v1/payment-intents",
        {"amount": "1999", "currency": "USD", "rail": "stablecoin", "payment_method": "wallet"},
    )
    assert api("POST", f"/v1/payment-intents/{intent['id']}/confirm")["status"] == "processing"
    how = api("GET", f"/v1/payment-intents/{intent['id']}/stablecoin")
    router = PaymentRouter.from_registry(w3, l1.deployments)
    router.pay(payer, bytes.fromhex(how["intent_key"][2:]), how["token"], int(how["amount"]))
    assert int(tusd.functions.balanceOf(payer.address).call()) == before - 19_990_000
    wait_for(
        stack,
        "the payment",
        lambda: api("GET", f"/v1/payment-intents/{intent['id']}")["status"] == "succeeded",
    )

    # The shop refunds it all; the payout worker pays the payer back out of the treasury.
    treasury_before = int(tusd.functions.balanceOf(treasury).call())
    refund = api("POST", "/v1/refunds", {"payment_intent": intent["id"]})
    assert (refund["status"], refund["amount"]) == ("pending", "1999")
    wait_for(stack, "the refund", lambda: api("GET", f"/v1/refunds/{refund['id']}")["status"] == "succeeded")
    assert int(tusd.functions.balanceOf(payer.address).call()) == before
    assert int(tusd.functions.balanceOf(treasury).call()) == treasury_before - 19_990_000
    assert api("GET", f"/v1/payment-intents/{intent['id']}")["amount_refunded"] == "1999"
    with engine_on(stack.database_url) as engine:
        assert verify(engine) == []

    # The day reconciled by the operator: the payment against its `Paid` event, the refund against the
    # treasury's `CustodyTransferred` (it was a `missing_at_rail` break when the statement listed no refunds).
    day = datetime.datetime.fromtimestamp(int(w3.eth.get_block("latest")["timestamp"]), datetime.UTC).date()
    run = stack.post_json(f"/v1/reconciliation/{day.isoformat()}/runs", {})
    assert (run["status"], run["break_count"]) == ("complete", 0), run["breaks"]
    [stablecoin] = [rail for rail in run["rails"] if rail["rail"] == "stablecoin"]
    assert (stablecoin["state"], stablecoin["ledger_lines"], stablecoin["rail_lines"]) == ("reconciled", 2, 2)
