"""SubscriptionManager: subscribing, charging one subscription, and charging 50 at once, in steady state.

A merchant's plan charges 10 tUSD every 30 days, without a trial (subscribing pays the first period). The
subscribers approved the manager once for unlimited spending, as subscription apps ask; the merchant already
holds tUSD. The charges are measured on each subscription's third period (every slot involved is then
non-zero), sent by the relayer as the keeper sends them; `charge_many` is measured per subscription charged.

Two more figures show what the targets leave out: a plan with a 2.5% protocol fee (a second transfer, to the
treasury) and a subscriber who approved 12 periods, not an unlimited allowance (the token then writes and
logs the allowance left at every charge).
"""

from collections.abc import Mapping

from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxParams, TxReceipt, Wei

from benchmarks.gas_cases.common import GasEnv, Measurement
from chain.transactions import send_call

PRICE = 10_000_000  # 10 tUSD
PERIOD = 30 * 86_400
GRACE = 3 * 86_400
FEE_BPS = 250
BATCH = 50
SUBSCRIBER_ETHER = 10**18
SUBSCRIBER_TUSD = 100 * PRICE
UNLIMITED = 2**256 - 1
CHARGE_TARGET = 54_000
"""Issue 9's budget for one charge, which asks the token for the subscriber's balance and allowance first."""
CHARGE_MANY_PER_CHARGE_TARGET = 30_000


def measure(env: GasEnv) -> Mapping[str, Measurement]:
    """Subscribe, charge and charge_many on a fee-free plan; charge with a fee and with an exact allowance."""
    token = env.token(env.deployer, 10**15)
    free = env.deploy("SubscriptionManager", env.deployer, 0)
    merchant = _subscriber(env, token, free, "merchant", 0)  # a funded key that creates the plans
    plan = _create_plan(env, free, merchant, token)

    keys = [_subscriber(env, token, free, f"subscriber {index}", UNLIMITED) for index in range(BATCH + 1)]
    subscribe = send_call(env.w3, keys[0], free.functions.subscribe(plan))
    single = _subscription_id(free, subscribe)
    ids = [_subscribe(env, free, key, plan) for key in keys[1:]]

    _next_period(env)  # second period: every subscription charged once more
    env.relay(free.functions.charge_many(ids))
    env.relay(free.functions.charge(single))
    _next_period(env)  # third period: the measured charges
    charge = env.relay(free.functions.charge(single))
    batch = env.relay(free.functions.charge_many(ids))
    _check_all_charged(free, batch, BATCH)

    fee_gas = _third_charge(env, token, UNLIMITED, FEE_BPS, "fee")
    finite_gas = _third_charge(env, token, 12 * PRICE, 0, "finite")

    return {
        "subscription_subscribe": Measurement(
            gas=int(subscribe["gasUsed"]),
            what="SubscriptionManager.subscribe (allowance, no trial: pays the first period), total tx gas",
        ),
        "subscription_charge": Measurement(
            gas=int(charge["gasUsed"]),
            what="SubscriptionManager.charge, third period, unlimited allowance, no fee, total tx gas",
            target=CHARGE_TARGET,
        ),
        "subscription_charge_many_50_per_charge": Measurement(
            gas=int(batch["gasUsed"]) // BATCH,
            what="SubscriptionManager.charge_many of 50 (one plan, third period), total tx gas / 50",
            target=CHARGE_MANY_PER_CHARGE_TARGET,
        ),
        "subscription_charge_with_fee": Measurement(
            gas=fee_gas,
            what="SubscriptionManager.charge of a plan with a 2.5% protocol fee, third period, total tx gas",
        ),
        "subscription_charge_finite_allowance": Measurement(
            gas=finite_gas,
            what="SubscriptionManager.charge, 12 periods approved (not unlimited), 3rd period, total tx gas",
        ),
    }


def _subscriber(env: GasEnv, token: Contract, manager: Contract, label: str, allowance: int) -> LocalAccount:
    """A local key with ether and tUSD that approved `manager` for `allowance` (none if 0)."""
    account = env.key(f"subscription {manager.address} {label}")
    funding: TxParams = {"from": env.deployer, "to": account.address, "value": Wei(SUBSCRIBER_ETHER)}
    env.w3.eth.wait_for_transaction_receipt(env.w3.eth.send_transaction(funding))
    env.transact(token.functions.transfer(account.address, SUBSCRIBER_TUSD))
    if allowance:
        send_call(env.w3, account, token.functions.approve(manager.address, allowance))
    return account


def _create_plan(env: GasEnv, manager: Contract, merchant: LocalAccount, token: Contract) -> int:
    create = manager.functions.create_plan(token.address, PRICE, PERIOD, 0, GRACE, 0)
    receipt = send_call(env.w3, merchant, create)
    return int(manager.events.PlanCreated().process_receipt(receipt, errors=DISCARD)[0]["args"]["plan_id"])


def _subscribe(env: GasEnv, manager: Contract, subscriber: LocalAccount, plan: int) -> int:
    return _subscription_id(manager, send_call(env.w3, subscriber, manager.functions.subscribe(plan)))


def _subscription_id(manager: Contract, receipt: TxReceipt) -> int:
    subscribed = manager.events.Subscribed().process_receipt(receipt, errors=DISCARD)
    return int(subscribed[0]["args"]["subscription_id"])


def _next_period(env: GasEnv) -> None:
    env.tester.time_travel(env.timestamp() + PERIOD + 1)


def _check_all_charged(manager: Contract, receipt: TxReceipt, count: int) -> None:
    charged = manager.events.Charged().process_receipt(receipt, errors=DISCARD)
    if len(charged) != count:
        raise RuntimeError(f"charge_many charged {len(charged)} of {count} subscriptions")


def _third_charge(env: GasEnv, token: Contract, allowance: int, fee_bps: int, label: str) -> int:
    """The gas of a subscription's third-period charge on a fresh manager with `fee_bps`."""
    manager = env.deploy("SubscriptionManager", env.deployer, fee_bps)
    merchant = _subscriber(env, token, manager, f"{label} merchant", 0)
    plan = _create_plan(env, manager, merchant, token)
    subscriber = _subscriber(env, token, manager, f"{label} subscriber", allowance)
    subscription = _subscribe(env, manager, subscriber, plan)
    receipt = None
    for _ in range(2):
        _next_period(env)
        receipt = env.relay(manager.functions.charge(subscription))
    if receipt is None or not manager.events.Charged().process_receipt(receipt, errors=DISCARD):
        raise RuntimeError(f"the {label} charge did not go through")
    return int(receipt["gasUsed"])
