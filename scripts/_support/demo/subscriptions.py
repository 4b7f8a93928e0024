"""Flow 7: a subscription in tUSD whose second period the keeper process charges."""

from typing import Any

from eth_typing import HexStr

from chain.artifacts import contract
from chain.client import make_web3
from chain.dev_accounts import dev_accounts
from chain.subscriptions import SubscriptionManager
from chain.transactions import send_call
from chain.vesting import utc
from scripts._support.demo.report import DemoFailed, Summary
from scripts._support.demo.tokens import TUSD_UNIT
from scripts._support.demo.vesting import DAY
from scripts._support.stack.config import Progress
from scripts._support.stack.devnet import DevnetStack

KEEPER_TIMEOUT_SECONDS = 60.0


def subscription_keeper_flow(stack: DevnetStack, progress: Progress, summary: Summary) -> None:
    """A merchant's monthly plan in tUSD; bob subscribes (first period paid at once); the chain's clock
    moves a period on, and the keeper process — not the demo — charges the second period."""
    Progress.heading("flow 7: a subscription charged by the keeper after a period passes")
    l1 = stack.chains[0]
    assert l1.deployments is not None
    w3 = make_web3(l1.url)
    bob, merchant = dev_accounts()[2], dev_accounts()[5]
    deployment = l1.deployments.get("SubscriptionManager")
    manager = SubscriptionManager(w3, deployment.address, from_block=deployment.block_number)
    tusd_address = l1.deployments.get("tUSD").address
    tusd = contract(w3, "Token", tusd_address)
    price = 9_990_000  # 9.99 tUSD
    with progress.step("the merchant creates a plan: 9.99 tUSD every 30 days"):
        plan_id = manager.create_plan(merchant, tusd_address, price, 30 * DAY, grace=3 * DAY)
    with progress.step("bob approves 12 periods and subscribes (the first period is charged at once)"):
        send_call(w3, bob, tusd.functions.approve(manager.address, 12 * price))
        subscription_id = manager.subscribe(bob, plan_id)
    path = f"/v1/subscriptions/{subscription_id}"
    first = stack.get_json(path)["subscription"]
    if first["periods_paid"] != "1" or first["due"]:
        raise DemoFailed(f"after subscribing the API shows {first!r}")
    with progress.step("moving L1's clock 30 days forward: the second period is due"):
        l1.node.increase_time(int(first["paid_through"]) - manager.now() + 60)
    with progress.step("waiting for the keeper to charge it"):
        charged = _wait_until_paid(stack, path, periods=2)
    keeper_charges = [
        event
        for event in manager.events(deployment.block_number, int(w3.eth.block_number))
        if event.event == "Charged" and event.args["subscription_id"] == subscription_id
    ]
    if len(keeper_charges) != 2:
        raise DemoFailed(f"expected two Charged events, the chain has {len(keeper_charges)}")
    tx = w3.eth.get_transaction(HexStr(keeper_charges[-1].tx_hash))
    if tx["from"] != stack.keeper_relayer.address:
        raise DemoFailed(f"the second period was charged by {tx['from']}, not the keeper")
    plan = manager.plan(plan_id)
    received = int(tusd.functions.balanceOf(merchant.address).call())
    if received != 2 * plan.merchant_amount:
        expected = 2 * plan.merchant_amount
        raise DemoFailed(f"the merchant holds {received} tUSD base units, expected {expected}")
    progress.note(
        f"subscription {subscription_id}: {charged['periods_paid']} periods paid, paid through "
        f"{utc(int(charged['paid_through'])):%Y-%m-%d}; the merchant got 2 x "
        f"{plan.merchant_amount / TUSD_UNIT:.4f}, the treasury 2 x {plan.fee / TUSD_UNIT:.4f} tUSD in fees"
    )
    tx_hash = keeper_charges[-1].tx_hash
    summary.add("subscription", f"9.99 tUSD / 30 days: period 2 charged by the keeper (tx {tx_hash[:12]}…)")


def _wait_until_paid(stack: DevnetStack, path: str, *, periods: int) -> dict[str, Any]:
    """The subscription at `path` once the API shows `periods` periods paid; the keeper polls every 0.5 s,
    and a keeper that exits or takes longer than KEEPER_TIMEOUT_SECONDS fails the demo with its log."""
    assert stack.keeper is not None
    seen: dict[str, Any] = {}

    def paid() -> bool:
        seen.update(stack.get_json(path)["subscription"])
        return int(seen["periods_paid"]) >= periods

    stack.keeper.wait_ready(paid, timeout=KEEPER_TIMEOUT_SECONDS, interval=0.25)
    return seen
