"""chain.subscriptions: the billing rule, term checks, typed data, revert reasons, and the SubscriptionManager
face against a manager on an in-process chain (plans, the three ways to subscribe, charge reports)."""

from pathlib import Path

import pytest
from eth_account import Account
from eth_tester.exceptions import TransactionFailed as EthTesterRevert
from hypothesis import given
from hypothesis import strategies as st

from chain.deployments import Deployments
from chain.errors import ChainIdMismatch
from chain.intents import IntentError
from chain.subscriptions import (
    MAX_AMOUNT,
    SubscribeAuthorization,
    SubscribeMethod,
    SubscriptionError,
    SubscriptionManager,
    SubscriptionStatus,
    UnknownPlan,
    UnknownSubscription,
    check_plan_terms,
    next_paid_through,
    sign_authorization,
)
from chain.transactions import TransactionFailed, send_call
from tests.helpers.subscription_world import GRACE, PERIOD, PRICE, World, build_world
from tests.relay.conftest import InProcessChain

ADDRESS = "0x00000000000000000000000000000000000000A1"
ZERO_HASH = "0x" + "00" * 32
REVERTED = (TransactionFailed, EthTesterRevert)
"""A revert seen by `send_call`: its own error on a real node, eth-tester's when estimating on py-evm."""


@given(
    paid_through=st.integers(0, 2**40),
    period=st.integers(1, 2**32 - 1),
    late=st.integers(0, 2**36),
)
def test_a_charge_pays_the_period_holding_now(paid_through: int, period: int, late: int) -> None:
    now = paid_through + late
    after = next_paid_through(paid_through, period, now)
    assert (after - paid_through) % period == 0
    assert after - period <= now < after  # the paid period holds `now`


def test_nothing_is_due_before_the_paid_through_time() -> None:
    with pytest.raises(SubscriptionError, match="not due"):
        next_paid_through(100, 10, 99)


@pytest.mark.parametrize(
    ("terms", "name"),
    [
        ((0, 1, 0, 0, 0), "amount"),
        ((MAX_AMOUNT + 1, 1, 0, 0, 0), "amount"),
        ((1, 0, 0, 0, 0), "period"),
        ((1, 1, -1, 0, 0), "trial"),
        ((1, 1, 0, 2**24, 0), "grace"),
        ((1, 1, 0, 0, 2**16), "max_periods"),
        ((1, 60, 0, 60, 0), "grace"),
        ((1, True, 0, 0, 0), "period"),
    ],
)
def test_plan_terms_the_contract_would_refuse(terms: tuple[int, ...], name: str) -> None:
    with pytest.raises(SubscriptionError, match=f"plan {name} "):
        check_plan_terms(*terms)


def test_authorization_type_and_json() -> None:
    authorization = SubscribeAuthorization(
        subscriber=ADDRESS, plan_id=3, token=ADDRESS, amount=PRICE, period=PERIOD, nonce=0, deadline=10**10
    )
    assert authorization.typed_data(1, ADDRESS)["types"]["SubscribeAuthorization"] == [
        {"name": "subscriber", "type": "address"},
        {"name": "planId", "type": "uint256"},
        {"name": "token", "type": "address"},
        {"name": "amount", "type": "uint256"},
        {"name": "period", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
    assert SubscribeAuthorization.from_json(authorization.to_json()) == authorization
    with pytest.raises(IntentError):
        SubscribeAuthorization.from_json({**authorization.to_json(), "planId": -1})


def test_only_the_subscriber_signs_an_authorization() -> None:
    authorization = SubscribeAuthorization(
        subscriber=ADDRESS, plan_id=1, token=ADDRESS, amount=1, period=1, nonce=0, deadline=1
    )
    with pytest.raises(SubscriptionError, match="own subscriber"):
        sign_authorization(Account.create(), authorization, 1, ADDRESS)


# The face against a deployed manager


@pytest.fixture
def tester_chain(compiled_manifest: Path) -> InProcessChain:
    return InProcessChain()


@pytest.fixture
def world(tester_chain: InProcessChain) -> World:
    return build_world(tester_chain.w3, tester_chain.deployer, subscribers=3)


def test_plans_are_read_back(world: World) -> None:
    second = world.manager.create_plan(
        world.merchant, world.token.address, 2 * PRICE, 60, trial=5, max_periods=4
    )
    plans = world.manager.plans()
    assert [plan.plan_id for plan in plans] == [world.plan_id, second]
    assert world.manager.plans(offset=1, limit=1) == [plans[1]]
    assert (plans[1].amount, plans[1].period, plans[1].trial, plans[1].grace, plans[1].max_periods) == (
        2 * PRICE,
        60,
        5,
        0,
        4,
    )
    assert (plans[0].merchant, plans[0].token, plans[0].fee, plans[0].merchant_amount) == (
        world.merchant.address,
        world.token.address,
        0,
        PRICE,
    )
    with pytest.raises(UnknownPlan):
        world.manager.plan(3)
    with pytest.raises(UnknownPlan):
        world.manager.plan(0)
    with pytest.raises(SubscriptionError, match="plan amount 0"):
        world.manager.create_plan(world.merchant, world.token.address, 0, 60)


def test_the_three_ways_to_subscribe(world: World, tester_chain: InProcessChain) -> None:
    manager, (first, second, third) = world.manager, world.subscribers
    by_allowance = manager.subscribe(first, world.plan_id)

    send_call(world.w3, second, world.token.functions.approve(manager.address, 0))
    deadline = manager.now() + 3600
    by_permit = manager.subscribe_with_permit(second, world.plan_id, 12 * PRICE, deadline)
    assert world.token.functions.allowance(second.address, manager.address).call() == 11 * PRICE

    signed = manager.authorize(third, world.plan_id, deadline)
    assert manager.nonce(third.address) == 0
    by_authorization = manager.subscribe_with_authorization(world.relayer, signed)
    assert manager.nonce(third.address) == 1
    with pytest.raises(REVERTED, match="authorization nonce is not the next one"):
        manager.subscribe_with_authorization(world.relayer, signed)
    withdrawn = manager.authorize(third, world.plan_id, deadline)
    assert manager.invalidate_nonce(third) == 1
    with pytest.raises(REVERTED, match="authorization nonce is not the next one"):
        manager.subscribe_with_authorization(world.relayer, withdrawn)

    events = manager.events(manager.from_block, int(world.w3.eth.block_number))
    methods = {
        event.args["subscription_id"]: event.args["method"] for event in events if event.event == "Subscribed"
    }
    assert methods == {
        by_allowance: SubscribeMethod.ALLOWANCE,
        by_permit: SubscribeMethod.PERMIT,
        by_authorization: SubscribeMethod.AUTHORIZATION,
    }
    for subscription_id, subscriber in zip(
        (by_allowance, by_permit, by_authorization), world.subscribers, strict=True
    ):
        state = manager.subscription(subscription_id)
        assert (state.subscriber, state.status, state.periods_paid, state.live) == (
            subscriber.address,
            SubscriptionStatus.ACTIVE,
            1,
            True,
        )
    assert world.balance(world.merchant) == 3 * PRICE
    assert manager.subscription_count() == 3


def test_charge_reports(world: World, tester_chain: InProcessChain) -> None:
    manager = world.manager
    paying, broke, cancelled = world.subscribe_all()
    manager.cancel(world.subscribers[2], cancelled)
    send_call(world.w3, world.subscribers[1], world.token.functions.approve(manager.address, 0))
    assert manager.due_subscriptions() == []
    tester_chain.increase_time(PERIOD)
    assert manager.due_subscriptions() == [paying, broke]
    assert manager.due_subscriptions([broke, 99]) == [broke]

    report = manager.charge_many(world.relayer, [paying, broke, cancelled, 99])
    assert list(report.charged) == [paying]
    assert report.charged[paying] == manager.subscription(paying).paid_through
    assert list(report.failed) == [broke]
    assert report.skipped == {
        cancelled: "subscriptions: subscription is not live",
        99: "subscriptions: unknown subscription",
    }
    assert (report.lapsed, report.completed, report.gas_used > 0) == ((), (), True)

    tester_chain.increase_time(GRACE)
    lapse = manager.charge(world.relayer, broke)
    assert (lapse.lapsed, lapse.charged) == ((broke,), {})
    assert manager.subscription(broke).status == SubscriptionStatus.LAPSED
    with pytest.raises(REVERTED, match="subscription is not due"):
        manager.charge(world.relayer, paying)
    with pytest.raises(UnknownSubscription):
        manager.subscription(99)


def test_the_registry_names_the_manager_and_its_chain(world: World, tmp_path: Path) -> None:
    registry = Deployments.create("test", int(world.w3.eth.chain_id), tmp_path)
    registry.record(
        "SubscriptionManager", address=world.manager.address, tx_hash="0x" + "00" * 32, block_number=7
    )
    found = SubscriptionManager.from_registry(world.w3, registry)
    assert (found.address, found.from_block) == (world.manager.address, 7)
    other = Deployments.create("other", 1, tmp_path)
    other.record(
        "SubscriptionManager", address=world.manager.address, tx_hash="0x" + "00" * 32, block_number=7
    )
    with pytest.raises(ChainIdMismatch):
        SubscriptionManager.from_registry(world.w3, other)
