"""SubscriptionManager.vy under random sequences of subscribes, charges, batches, cancels, pauses, allowance
and balance changes and time jumps (a hypothesis state machine against a Python model of the contract).

Every transaction's events are checked as it happens: each `Charged` pays a period that starts at or after the
end of the last one paid, so no period is ever paid twice, and the charges, failures, lapses and skips are the
ones the model predicts. At the end of each example: the token balances add up to the supply and the manager
holds nothing; every balance and every subscription is what the model says.
"""

from dataclasses import dataclass, field, replace
from typing import Any

import ape
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from chain.reverts import revert_reason
from chain.subscriptions import SubscriptionStatus, next_paid_through

pytestmark = pytest.mark.chain

PRICE = 1_000_000
FEE_BPS = 250
PERIOD = 86_400
GRACE = 3 * 3_600
TRIAL = 2 * 3_600
MAX_UINT256 = 2**256 - 1
ALLOWANCES = (0, PRICE, 3 * PRICE, MAX_UINT256)
# The state machine's examples: a fifth of the profile's (a step is a py-evm transaction, ~0.2 s).
EXAMPLES = max(1, settings().max_examples // 5)
STEPS = 25
# Time between steps: around the plans' thresholds (trial, grace, period), or anything up to two periods.
WAITS = st.sampled_from([1, TRIAL, GRACE, PERIOD // 2, PERIOD, PERIOD + GRACE, 3 * PERIOD]) | st.integers(
    1, 2 * PERIOD
)


@dataclass(frozen=True)
class PlanModel:
    plan_id: int
    trial: int
    grace: int
    max_periods: int
    paused: bool = False


@dataclass
class SubModel:
    subscriber: int  # index into the machine's subscribers
    plan_id: int
    status: SubscriptionStatus
    paid_through: int
    periods_paid: int
    grace_ends: int = 0


@dataclass
class World:
    """The deployed contracts and the accounts around them, shared by every example."""

    manager: Any
    token: Any
    merchant: Any
    treasury: Any
    sink: Any
    outsider: Any
    subscribers: list[Any]
    plans: dict[int, PlanModel] = field(default_factory=dict)


class SubscriptionsMachine(RuleBasedStateMachine):
    world: World
    chain: Any

    def __init__(self) -> None:
        super().__init__()
        self.snapshot = self.chain.snapshot()
        self.now = self.chain.pending_timestamp + 10
        self.plans = dict(self.world.plans)
        self.subs: dict[int, SubModel] = {}
        self.next_id = self.world.manager.subscription_count() + 1
        holders = [*self.world.subscribers, self.world.merchant, self.world.treasury, self.world.sink]
        self.balances = {holder.address: self.world.token.balanceOf(holder) for holder in holders}
        self.allowances = [self.world.token.allowance(s, self.world.manager) for s in self.world.subscribers]
        self.steps_clean = True

    def teardown(self) -> None:
        """Check the chain against the model (every read is a slow py-evm call: once per example, and only
        if every step ended cleanly, so a step's own failure is the one reported), then put the chain back
        as it was before the example."""
        try:
            if self.steps_clean:
                self.check_balances()
                self.check_subscriptions()
        finally:
            self.chain.restore(self.snapshot)

    # Helpers

    def tick(self, seconds: int = 1) -> int:
        """The time of the next transaction: `seconds` after the last one. Every step starts here, and a
        step that raises leaves `steps_clean` false."""
        self.steps_clean = False
        self.now += max(seconds, 1)
        self.chain.pending_timestamp = self.now
        return self.now

    def can_pay(self, index: int) -> bool:
        address = self.world.subscribers[index].address
        return self.balances[address] >= PRICE and self.allowances[index] >= PRICE

    def subscribe_refusal(self, index: int, pays_now: bool) -> str:
        """Why subscribing would revert: every plan needs a period's allowance, one paying now the balance."""
        if self.allowances[index] < PRICE:
            return "subscriptions: allowance below one period"
        if pays_now and self.balances[self.world.subscribers[index].address] < PRICE:
            return "subscriptions: balance below one period"
        return ""

    def pay(self, index: int) -> None:
        fee = PRICE * FEE_BPS // 10_000
        self.balances[self.world.subscribers[index].address] -= PRICE
        self.balances[self.world.merchant.address] += PRICE - fee
        self.balances[self.world.treasury.address] += fee
        if self.allowances[index] != MAX_UINT256:
            self.allowances[index] -= PRICE

    def expected_charge(self, subscription_id: int, now: int) -> tuple[str, SubModel | None]:
        """What `charge` does at `now`: ("revert", reason) style outcomes or the new model state."""
        sub = self.subs.get(subscription_id)
        if sub is None:
            return "subscriptions: unknown subscription", None
        if sub.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE):
            return "subscriptions: subscription is not live", None
        if now < sub.paid_through:
            return "subscriptions: subscription is not due", None
        plan = self.plans[sub.plan_id]
        if plan.paused:
            return "subscriptions: plan is paused", None
        if sub.status == SubscriptionStatus.PAST_DUE and now >= sub.grace_ends:
            return "lapsed", replace(sub, status=SubscriptionStatus.LAPSED, grace_ends=0)
        if self.can_pay(sub.subscriber):
            periods = sub.periods_paid + 1
            done = periods == plan.max_periods
            status = SubscriptionStatus.COMPLETED if done else SubscriptionStatus.ACTIVE
            new_paid_through = next_paid_through(sub.paid_through, PERIOD, now)
            return "charged", replace(
                sub, status=status, paid_through=new_paid_through, periods_paid=periods, grace_ends=0
            )
        grace_ends = now + plan.grace if sub.status == SubscriptionStatus.ACTIVE else sub.grace_ends
        return "failed", replace(sub, status=SubscriptionStatus.PAST_DUE, grace_ends=grace_ends)

    def advance_model(self, subscription_id: int, outcome: str, after: SubModel) -> None:
        """Take a charge's outcome into the model; a paid period starts where the last one ended, or later."""
        if outcome == "charged":
            assert after.paid_through - PERIOD >= self.subs[subscription_id].paid_through
            self.pay(after.subscriber)
        self.subs[subscription_id] = after

    # Rules

    @initialize(plan_ids=st.lists(st.sampled_from([1, 2]), min_size=3, max_size=3))
    def everyone_subscribes(self, plan_ids: list[int]) -> None:
        for index, plan_id in enumerate(plan_ids):
            self.subscribe(index, plan_id, 1)

    @rule(index=st.integers(0, 2), plan_id=st.sampled_from([1, 2]), wait=WAITS)
    def subscribe(self, index: int, plan_id: int, wait: int) -> None:
        subscriber = self.world.subscribers[index]
        plan = self.plans[plan_id]
        now = self.tick(wait)
        if plan.paused:
            with ape.reverts("subscriptions: plan is paused"):
                self.world.manager.subscribe(plan_id, sender=subscriber)
            return
        pays_now = plan.trial == 0
        refusal = self.subscribe_refusal(index, pays_now)
        if refusal:
            with ape.reverts(refusal):
                self.world.manager.subscribe(plan_id, sender=subscriber)
            return
        receipt = self.world.manager.subscribe(plan_id, sender=subscriber)
        assert receipt.timestamp == now
        subscription_id = self.next_id
        self.next_id += 1
        if pays_now:
            self.pay(index)
            done = plan.max_periods == 1
            status = SubscriptionStatus.COMPLETED if done else SubscriptionStatus.ACTIVE
            self.subs[subscription_id] = SubModel(index, plan_id, status, now + PERIOD, 1)
        else:
            self.subs[subscription_id] = SubModel(
                index, plan_id, SubscriptionStatus.ACTIVE, now + plan.trial, 0
            )

    @precondition(lambda self: self.subs)
    @rule(pick=st.integers(0, 50), wait=WAITS)
    def charge(self, pick: int, wait: int) -> None:
        subscription_id = sorted(self.subs)[pick % len(self.subs)]
        now = self.tick(wait)
        outcome, after = self.expected_charge(subscription_id, now)
        if after is None:
            with ape.reverts(outcome):
                self.world.manager.charge(subscription_id, sender=self.world.outsider)
            return
        receipt = self.world.manager.charge(subscription_id, sender=self.world.outsider)
        assert receipt.timestamp == now
        manager = self.world.manager
        expected_events = {
            "charged": manager.Charged(subscription_id=subscription_id, paid_through=after.paid_through),
            "failed": manager.ChargeFailed(subscription_id=subscription_id, grace_ends=after.grace_ends),
            "lapsed": manager.Lapsed(subscription_id=subscription_id),
        }
        assert expected_events[outcome] in receipt.events
        self.advance_model(subscription_id, outcome, after)

    @precondition(lambda self: self.subs)
    @rule(picks=st.lists(st.integers(0, 50), min_size=1, max_size=6), unknown=st.booleans(), wait=WAITS)
    def charge_many(self, picks: list[int], unknown: bool, wait: int) -> None:
        ids = sorted(self.subs)
        batch = [ids[pick % len(ids)] for pick in picks] + ([self.next_id] if unknown else [])
        now = self.tick(wait)
        expected: list[tuple[int, str, SubModel | None]] = []
        for subscription_id in batch:
            outcome, after = self.expected_charge(subscription_id, now)
            expected.append((subscription_id, outcome, after))
            if after is not None:  # later entries of the batch see this one's effect
                self.advance_model(subscription_id, outcome, after)
        receipt = self.world.manager.charge_many(batch, sender=self.world.outsider)
        assert receipt.timestamp == now
        skipped = [
            (event.subscription_id, revert_reason(bytes(event.reason)))
            for event in receipt.events.filter(self.world.manager.ChargeSkipped)
        ]
        assert skipped == [(sid, outcome) for sid, outcome, after in expected if after is None]
        paid = [sid for sid, outcome, _ in expected if outcome == "charged"]
        charged_events = [
            event.subscription_id for event in receipt.events.filter(self.world.manager.Charged)
        ]
        assert charged_events == paid

    @precondition(lambda self: self.subs)
    @rule(pick=st.integers(0, 50), by=st.sampled_from(["subscriber", "merchant", "outsider"]))
    def cancel(self, pick: int, by: str) -> None:
        subscription_id = sorted(self.subs)[pick % len(self.subs)]
        sub = self.subs[subscription_id]
        sender = {
            "subscriber": self.world.subscribers[sub.subscriber],
            "merchant": self.world.merchant,
            "outsider": self.world.outsider,
        }[by]
        self.tick()
        if sub.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE):
            with ape.reverts("subscriptions: subscription is not live"):
                self.world.manager.cancel(subscription_id, sender=sender)
        elif by == "outsider":
            with ape.reverts("subscriptions: caller is neither subscriber nor merchant"):
                self.world.manager.cancel(subscription_id, sender=sender)
        else:
            self.world.manager.cancel(subscription_id, sender=sender)
            self.subs[subscription_id] = replace(sub, status=SubscriptionStatus.CANCELLED, grace_ends=0)

    @rule(plan_id=st.sampled_from([1, 2]), paused=st.booleans())
    def set_paused(self, plan_id: int, paused: bool) -> None:
        self.tick()
        self.world.manager.set_plan_paused(plan_id, paused, sender=self.world.merchant)
        self.plans[plan_id] = replace(self.plans[plan_id], paused=paused)

    @rule(index=st.integers(0, 2), change=st.sampled_from(["drain", "refill", *ALLOWANCES]))
    def change_wallet(self, index: int, change: str | int) -> None:
        """Empty a subscriber's wallet into the sink, refill it (two periods' worth) from the sink, or set
        the allowance it gives the manager."""
        subscriber = self.world.subscribers[index]
        self.tick()
        if isinstance(change, int):
            self.world.token.approve(self.world.manager, change, sender=subscriber)
            self.allowances[index] = change
            return
        source, target = (subscriber, self.world.sink) if change == "drain" else (self.world.sink, subscriber)
        amount = (
            self.balances[source.address]
            if change == "drain"
            else min(2 * PRICE, self.balances[source.address])
        )
        if amount == 0:
            return
        self.world.token.transfer(target, amount, sender=source)
        self.balances[source.address] -= amount
        self.balances[target.address] += amount

    # Checks

    @invariant()
    def step_ended_cleanly(self) -> None:
        """Hypothesis runs invariants only after a step that raised nothing."""
        self.steps_clean = True

    def check_balances(self) -> None:
        """Tokens are conserved, the manager holds none, and every holder has what the model says."""
        token = self.world.token
        assert token.balanceOf(self.world.manager) == 0
        actual = {address: token.balanceOf(address) for address in self.balances}
        assert actual == self.balances
        assert sum(actual.values()) == token.totalSupply()

    def check_subscriptions(self) -> None:
        """Every subscription is what the model says."""
        for subscription_id, sub in self.subs.items():
            state = self.world.manager.subscription(subscription_id)
            subscriber = self.world.subscribers[sub.subscriber].address
            assert (state.subscriber, state.plan_id) == (subscriber, sub.plan_id)
            assert (state.status, state.paid_through, state.periods_paid, state.grace_ends) == (
                sub.status,
                sub.paid_through,
                sub.periods_paid,
                sub.grace_ends,
            )


@pytest.fixture
def world(project: Any, accounts: Any, deployer: Any, fee_treasury: Any, subscription_token: Any) -> World:
    """A manager with a 2.5% fee; plan 1 charges at once, plan 2 has a trial and three periods."""
    manager = project.SubscriptionManager.deploy(fee_treasury, FEE_BPS, sender=deployer)
    merchant, sink, outsider = accounts[2], accounts[7], accounts[4]
    subscribers = [accounts[3], accounts[5], accounts[6]]
    token = subscription_token
    for subscriber in subscribers:
        token.mint(subscriber, 3 * PRICE, sender=deployer)
        token.approve(manager, MAX_UINT256, sender=subscriber)
    token.mint(sink, 10 * PRICE, sender=deployer)
    plans = {
        1: PlanModel(1, trial=0, grace=GRACE, max_periods=0),
        2: PlanModel(2, trial=TRIAL, grace=0, max_periods=3),
    }
    for plan in plans.values():
        manager.create_plan(token, PRICE, PERIOD, plan.trial, plan.grace, plan.max_periods, sender=merchant)
    return World(manager, token, merchant, fee_treasury, sink, outsider, subscribers, plans)


def machine_for(world: World, chain: Any) -> type[SubscriptionsMachine]:
    return type("BoundSubscriptionsMachine", (SubscriptionsMachine,), {"world": world, "chain": chain})


def test_balances_conserved_and_no_period_paid_twice(world: World, chain: Any) -> None:
    run_state_machine_as_test(
        machine_for(world, chain),
        settings=settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None),
    )
