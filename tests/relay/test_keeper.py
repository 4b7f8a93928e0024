"""relay.keeper on an in-process chain: due subscriptions charged once per period, in batches; back-off and
retry; ended and paused subscriptions left alone; confirmations respected; restarts and replays harmless."""

import pytest
from eth_account import Account
from sqlalchemy import delete

from chain.transactions import send_call
from relay.cursor import CursorBlock, make_engine
from relay.keeper import Keeper
from tests.helpers.subscription_world import GRACE, PERIOD, PRICE, World, build_world
from tests.relay.conftest import InProcessChain

RETRY_BASE = 60
RETRY_MAX = 600


@pytest.fixture
def world(tester_chain: InProcessChain) -> World:
    return build_world(tester_chain.w3, tester_chain.deployer)


def keeper_for(world: World, database_url: str, *, confirmations: int = 0, batch_size: int = 2) -> Keeper:
    return Keeper(
        world.manager,
        world.relayer,
        make_engine(database_url),
        confirmations=confirmations,
        batch_size=batch_size,
        retry_base_seconds=RETRY_BASE,
        retry_max_seconds=RETRY_MAX,
    )


def charged_events(world: World) -> list[tuple[int, int]]:
    """(subscription id, paid through) of every `Charged` event so far, in order."""
    events = world.manager.events(world.manager.from_block, int(world.w3.eth.block_number))
    return [
        (event.args["subscription_id"], event.args["paid_through"])
        for event in events
        if event.event == "Charged"
    ]


def test_due_subscriptions_are_charged_once_per_period(
    world: World, tester_chain: InProcessChain, database_url: str
) -> None:
    ids = world.subscribe_all()
    keeper = keeper_for(world, database_url)
    first = keeper.run_once()
    assert (first.due, first.charged) == ([], [])
    assert all(keeper.subscription(sid) is not None for sid in ids)
    tester_chain.increase_time(PERIOD)
    second = keeper.run_once()
    assert second.due == second.charged == ids  # in two batches of at most two
    assert keeper.run_once().charged == []
    assert world.balance(world.merchant) == 2 * len(ids) * PRICE
    charged = charged_events(world)
    assert sorted(sid for sid, _ in charged) == sorted(2 * ids)
    for sid in ids:
        first_period, second_period = [paid for charged_id, paid in charged if charged_id == sid]
        assert second_period == first_period + PERIOD


def test_a_restarted_keeper_charges_nothing_twice(
    world: World, tester_chain: InProcessChain, database_url: str
) -> None:
    ids = world.subscribe_all()
    tester_chain.increase_time(PERIOD)
    assert keeper_for(world, database_url).run_once().charged == ids
    restarted = keeper_for(world, database_url)
    again = restarted.run_once()
    assert (again.due, again.charged) == ([], [])
    tester_chain.increase_time(PERIOD)
    assert keeper_for(world, database_url).run_once().charged == ids
    assert len(charged_events(world)) == 3 * len(ids)


@pytest.fixture
def due(world: World, tester_chain: InProcessChain, database_url: str) -> tuple[list[int], Keeper]:
    """Every subscriber subscribed, a keeper over them, and one period passed: every subscription is due."""
    ids = world.subscribe_all()
    keeper = keeper_for(world, database_url)
    tester_chain.increase_time(PERIOD)
    return ids, keeper


def test_replayed_events_change_nothing(due: tuple[list[int], Keeper]) -> None:
    ids, keeper = due
    keeper.run_once()
    keeper.sync_events()  # the Charged events
    before = [keeper.subscription(sid) for sid in ids]
    with keeper.sessions.begin() as session:  # forget the position: every event is read again
        session.execute(delete(CursorBlock))
    report = keeper.run_once()
    assert report.events > 0
    assert report.charged == []
    after = [keeper.subscription(sid) for sid in ids]
    assert [(kept.paid_through, kept.ended) for kept in after if kept] == [
        (kept.paid_through, kept.ended) for kept in before if kept
    ]


def test_failed_payments_back_off_then_succeed(
    world: World, tester_chain: InProcessChain, database_url: str
) -> None:
    ids = world.subscribe_all()
    broke = world.subscribers[0]
    send_call(world.w3, broke, world.token.functions.approve(world.manager.address, 0))
    keeper = keeper_for(world, database_url)
    tester_chain.increase_time(PERIOD)
    first = keeper.run_once()
    assert (first.charged, first.failed) == (ids[1:], [ids[0]])
    kept = keeper.subscription(ids[0])
    assert kept is not None
    assert (kept.failures, kept.next_attempt_at - world.manager.now() <= RETRY_BASE) == (1, True)
    assert kept.last_error is not None
    assert kept.last_error.startswith("payment failed")
    assert keeper.run_once().due == []  # waiting out the back-off
    tester_chain.increase_time(RETRY_BASE)
    assert keeper.run_once().failed == [ids[0]]
    kept = keeper.subscription(ids[0])
    assert kept is not None
    assert kept.failures == 2
    send_call(world.w3, broke, world.token.functions.approve(world.manager.address, PRICE))
    tester_chain.increase_time(2 * RETRY_BASE)
    assert keeper.run_once().charged == [ids[0]]
    kept = keeper.subscription(ids[0])
    assert kept is not None
    assert (kept.failures, kept.next_attempt_at, kept.last_error) == (0, 0, None)


def test_back_off_doubles_up_to_its_cap(world: World, database_url: str) -> None:
    keeper = keeper_for(world, database_url)
    assert [keeper.backoff(failures) for failures in range(1, 6)] == [60, 120, 240, 480, 600]
    assert keeper.backoff(500) == RETRY_MAX


def test_lapsed_and_cancelled_subscriptions_are_dropped(
    world: World, tester_chain: InProcessChain, database_url: str
) -> None:
    ids = world.subscribe_all()
    world.manager.cancel(world.subscribers[1], ids[1])
    send_call(world.w3, world.subscribers[0], world.token.functions.approve(world.manager.address, 0))
    keeper = keeper_for(world, database_url)
    tester_chain.increase_time(PERIOD)
    assert keeper.run_once().failed == [ids[0]]
    tester_chain.increase_time(GRACE)
    report = keeper.run_once()
    assert report.ended == [ids[0]]
    keeper.sync_events()  # the Lapsed event, now in a block of its own
    for sid in ids[:2]:
        kept = keeper.subscription(sid)
        assert kept is not None
        assert kept.ended
    tester_chain.increase_time(PERIOD)
    assert keeper.run_once().due == [ids[2]]


def test_paused_plans_wait(world: World, tester_chain: InProcessChain, database_url: str) -> None:
    ids = world.subscribe_all()
    world.manager.set_plan_paused(world.merchant, world.plan_id, True)
    keeper = keeper_for(world, database_url)
    tester_chain.increase_time(PERIOD)
    assert keeper.run_once().due == []
    world.manager.set_plan_paused(world.merchant, world.plan_id, False)
    assert keeper.run_once().charged == ids


def test_only_confirmed_events_are_read(
    world: World, tester_chain: InProcessChain, database_url: str
) -> None:
    keeper = keeper_for(world, database_url, confirmations=3)
    keeper.run_once()
    subscription_id = world.manager.subscribe(world.subscribers[0], world.plan_id)
    keeper.run_once()
    assert keeper.subscription(subscription_id) is None
    tester_chain.mine(3)
    keeper.run_once()
    kept = keeper.subscription(subscription_id)
    assert kept is not None
    assert kept.paid_through == world.manager.subscription(subscription_id).paid_through


def test_a_failed_batch_backs_off_every_subscription_in_it(
    world: World, tester_chain: InProcessChain, database_url: str
) -> None:
    ids = world.subscribe_all()
    broke_relayer = Keeper(
        world.manager,
        Account.create(),  # a relayer with no ether: every send fails
        make_engine(database_url),
        confirmations=0,
        retry_base_seconds=RETRY_BASE,
    )
    tester_chain.increase_time(PERIOD)
    report = broke_relayer.run_once()
    assert report.charged == []
    assert len(report.errors) == 1
    for sid in ids:
        kept = broke_relayer.subscription(sid)
        assert kept is not None
        assert kept.failures == 1
        assert kept.last_error is not None
        assert "charge_many failed" in kept.last_error


def test_a_reorg_below_the_depth_refreshes_from_the_chain(
    world: World, tester_chain: InProcessChain, due: tuple[list[int], Keeper]
) -> None:
    ids, keeper = due
    before_charge = tester_chain.tester.take_snapshot()
    assert keeper.run_once().charged == ids
    keeper.sync_events()
    kept = keeper.subscription(ids[0])
    assert kept is not None
    assert kept.paid_through > world.manager.now()  # the keeper saw period 2 paid

    tester_chain.tester.revert_to_snapshot(before_charge)  # the charges vanish with their blocks
    tester_chain.increase_time(10)
    assert world.manager.is_due(ids[0])
    first = keeper.run_once()  # rewinds, reads the subscriptions again; the relayer's nonce may be stale
    tester_chain.increase_time(RETRY_BASE)
    second = keeper.run_once()
    assert sorted(first.charged + second.charged) == ids
    assert keeper.run_once().charged == []
