"""SubscriptionManager.vy: plans, the three ways to subscribe, charging one and many, grace and lapse, fees,
fee-on-transfer refusal, cancelling, pausing, and every revert path (the two-step ownership hand-over:
test_ownable_2step.py).

Permits and authorizations are signed in Python (`chain.subscriptions`), the way a wallet signs them, with the
keys of Ape's test accounts (the dev mnemonic's, as `chain.dev_accounts.dev_accounts` derives them).
"""

from dataclasses import dataclass
from typing import Any

import ape
import pytest
from eth_account.signers.local import LocalAccount

from chain.dev_accounts import dev_accounts
from chain.reverts import revert_reason
from chain.subscriptions import (
    MAX_AMOUNT,
    MAX_GRACE,
    MAX_PERIOD,
    MAX_PERIODS,
    Plan,
    SubscribeAuthorization,
    SubscribeMethod,
    SubscriptionStatus,
    next_paid_through,
    sign_authorization,
    sign_permit,
)
from tests.helpers.misbehaving_tokens import (
    BLOCKING_TOKEN,
    GAS_BURNING_TOKEN,
    INVALID_FAILING_TOKEN,
    REENTERING_TOKEN,
    deploy_source,
)

pytestmark = pytest.mark.chain

PRICE = 10_000_000  # 10 tUSD
PERIOD = 30 * 86_400
GRACE = 3 * 86_400
TRIAL = 7 * 86_400
FUNDS = 1_000 * PRICE
MAX_UINT256 = 2**256 - 1
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@pytest.fixture(scope="module")
def merchant(accounts: Any) -> Any:
    return accounts[2]


@pytest.fixture(scope="module")
def subscriber(accounts: Any) -> Any:
    return accounts[3]


@pytest.fixture(scope="module")
def keeper(accounts: Any) -> Any:
    """Charges due subscriptions; holds no role."""
    return accounts[4]


@pytest.fixture(scope="module")
def attacker(accounts: Any) -> Any:
    return accounts[5]


@pytest.fixture(scope="module")
def other_subscriber(accounts: Any) -> Any:
    return accounts[6]


@pytest.fixture(scope="module")
def relayer(accounts: Any) -> Any:
    """Relays gasless authorizations; pays gas, holds no authority."""
    return accounts[7]


@pytest.fixture(scope="module")
def subscriber_key() -> LocalAccount:
    """The subscriber's key, to sign permits and authorizations as a wallet would."""
    return dev_accounts()[3]


@pytest.fixture(scope="module")
def token(subscription_token: Any, deployer: Any, subscription_manager: Any, subscriber: Any) -> Any:
    """tUSD with FUNDS minted to the subscriber, who has not approved the manager yet."""
    subscription_token.mint(subscriber, FUNDS, sender=deployer)
    return subscription_token


@pytest.fixture(scope="module")
def manager(subscription_manager: Any) -> Any:
    return subscription_manager


@dataclass
class Terms:
    amount: int = PRICE
    period: int = PERIOD
    trial: int = 0
    grace: int = GRACE
    max_periods: int = 0

    def args(self) -> tuple[int, int, int, int, int]:
        return (self.amount, self.period, self.trial, self.grace, self.max_periods)


def create_plan(manager: Any, token: Any, merchant: Any, terms: Terms | None = None) -> int:
    receipt = manager.create_plan(token, *(terms or Terms()).args(), sender=merchant)
    return int(receipt.events.filter(manager.PlanCreated)[0].plan_id)


@pytest.fixture
def approved_plan(manager: Any, token: Any, merchant: Any, subscriber: Any) -> int:
    """A plan of the default terms, whose subscriber approved the manager without limit; its id."""
    plan_id = create_plan(manager, token, merchant)
    token.approve(manager, MAX_UINT256, sender=subscriber)
    return plan_id


def subscribe(manager: Any, token: Any, subscriber: Any, plan_id: int, allowance: int = MAX_UINT256) -> int:
    token.approve(manager, allowance, sender=subscriber)
    receipt = manager.subscribe(plan_id, sender=subscriber)
    return int(receipt.events.filter(manager.Subscribed)[0].subscription_id)


def subscription(manager: Any, subscription_id: int) -> Any:
    return manager.subscription(subscription_id)


def advance_to(chain: Any, timestamp: int) -> None:
    """Mine a block at `timestamp`, so views and the next transaction see that time."""
    chain.mine(1, timestamp=timestamp)


def plan_view(manager: Any, plan_id: int) -> Plan:
    fields = manager.plan(plan_id)
    return Plan(plan_id, *fields)


# Deployment, fee and ownership


def test_deployment_sets_owner_treasury_and_fee(
    project: Any, deployer: Any, fee_treasury: Any, chain: Any
) -> None:
    manager = project.SubscriptionManager.deploy(fee_treasury, 250, sender=deployer)
    assert (manager.owner(), manager.treasury(), manager.fee_bps()) == (deployer, fee_treasury, 250)
    assert (manager.plan_count(), manager.subscription_count()) == (0, 0)
    assert manager.creation_metadata.receipt.events == [
        manager.OwnershipTransferred(previous_owner=ZERO_ADDRESS, new_owner=deployer),
        manager.TreasuryUpdated(treasury=fee_treasury),
        manager.FeeUpdated(fee_bps=250),
    ]
    assert manager.eip712Domain()[1:5] == ("TPWallet", "1", chain.chain_id, manager.address)


@pytest.mark.parametrize(
    ("fee_bps", "treasury_is_zero", "error"),
    [
        (1_001, False, "subscriptions: fee is above the maximum"),
        (1, True, "subscriptions: a fee needs a treasury"),
    ],
)
def test_deployment_refuses_bad_fee(
    project: Any, deployer: Any, fee_treasury: Any, fee_bps: int, treasury_is_zero: bool, error: str
) -> None:
    with ape.reverts(error):
        project.SubscriptionManager.deploy(
            ZERO_ADDRESS if treasury_is_zero else fee_treasury, fee_bps, sender=deployer
        )


def test_owner_sets_fee_and_treasury(manager: Any, deployer: Any, accounts: Any) -> None:
    receipt = manager.set_fee(1_000, sender=deployer)
    assert receipt.events == [manager.FeeUpdated(fee_bps=1_000)]
    receipt = manager.set_treasury(accounts[8], sender=deployer)
    assert receipt.events == [manager.TreasuryUpdated(treasury=accounts[8])]
    assert (manager.fee_bps(), manager.treasury()) == (1_000, accounts[8])
    with ape.reverts("subscriptions: fee is above the maximum"):
        manager.set_fee(1_001, sender=deployer)
    with ape.reverts("subscriptions: treasury is the zero address"):
        manager.set_treasury(ZERO_ADDRESS, sender=deployer)


def test_a_fee_needs_a_treasury(project: Any, deployer: Any) -> None:
    manager = project.SubscriptionManager.deploy(ZERO_ADDRESS, 0, sender=deployer)
    with ape.reverts("subscriptions: a fee needs a treasury"):
        manager.set_fee(1, sender=deployer)
    manager.set_fee(0, sender=deployer)


def test_outsiders_cannot_set_fee_or_treasury(manager: Any, attacker: Any) -> None:
    """Outsiders and ownership: test_ownable_2step.py."""
    with ape.reverts("subscriptions: caller is not the owner"):
        manager.set_fee(10, sender=attacker)
    with ape.reverts("subscriptions: caller is not the owner"):
        manager.set_treasury(attacker, sender=attacker)


# Plans


def test_create_plan_records_terms_and_the_current_fee(
    manager: Any, token: Any, merchant: Any, deployer: Any
) -> None:
    manager.set_fee(250, sender=deployer)
    receipt = manager.create_plan(token, PRICE, PERIOD, TRIAL, GRACE, 12, sender=merchant)
    assert receipt.events == [
        manager.PlanCreated(
            plan_id=1,
            merchant=merchant,
            token=token,
            amount=PRICE,
            period=PERIOD,
            trial=TRIAL,
            grace=GRACE,
            max_periods=12,
            fee_bps=250,
        )
    ]
    plan = plan_view(manager, 1)
    assert plan == Plan(1, merchant.address, token.address, PRICE, PERIOD, TRIAL, GRACE, 12, 250, False)
    assert plan.fee == PRICE * 250 // 10_000
    assert manager.plan_count() == 1


def test_fee_changes_reach_only_new_plans(manager: Any, token: Any, merchant: Any, deployer: Any) -> None:
    first = create_plan(manager, token, merchant)
    manager.set_fee(500, sender=deployer)
    second = create_plan(manager, token, merchant)
    assert (plan_view(manager, first).fee_bps, plan_view(manager, second).fee_bps) == (0, 500)


def test_largest_terms_fit(manager: Any, token: Any, merchant: Any) -> None:
    plan_id = create_plan(
        manager, token, merchant, Terms(MAX_AMOUNT, MAX_PERIOD, MAX_PERIOD, MAX_GRACE, MAX_PERIODS)
    )
    plan = plan_view(manager, plan_id)
    assert (plan.merchant, plan.token) == (merchant.address, token.address)
    assert (plan.amount, plan.period, plan.trial, plan.grace, plan.max_periods) == (
        MAX_AMOUNT,
        MAX_PERIOD,
        MAX_PERIOD,
        MAX_GRACE,
        MAX_PERIODS,
    )


@pytest.mark.parametrize(
    ("terms", "error"),
    [
        (Terms(amount=0), "subscriptions: amount is zero"),
        (Terms(amount=MAX_AMOUNT + 1), "subscriptions: amount is too large"),
        (Terms(period=0), "subscriptions: period is zero"),
        (Terms(period=MAX_PERIOD + 1), "subscriptions: period is too long"),
        (Terms(trial=MAX_PERIOD + 1), "subscriptions: trial is too long"),
        (Terms(grace=MAX_GRACE + 1), "subscriptions: grace is too long"),
        (Terms(period=GRACE), "subscriptions: grace is not shorter than the period"),
        (Terms(period=60, grace=61), "subscriptions: grace is not shorter than the period"),
        (Terms(max_periods=MAX_PERIODS + 1), "subscriptions: too many periods"),
    ],
)
def test_create_plan_refuses_bad_terms(
    manager: Any, token: Any, merchant: Any, terms: Terms, error: str
) -> None:
    with ape.reverts(error):
        manager.create_plan(token, *terms.args(), sender=merchant)


def test_create_plan_refuses_a_token_without_code(manager: Any, merchant: Any, attacker: Any) -> None:
    with ape.reverts("subscriptions: token is not a contract"):
        manager.create_plan(attacker, *Terms().args(), sender=merchant)


def test_unknown_plan_reads_as_empty(manager: Any) -> None:
    assert manager.plan(7).merchant == ZERO_ADDRESS


def test_merchant_pauses_and_resumes(
    manager: Any, token: Any, merchant: Any, subscriber: Any, chain: Any
) -> None:
    plan_id = create_plan(manager, token, merchant)
    subscription_id = subscribe(manager, token, subscriber, plan_id)
    receipt = manager.set_plan_paused(plan_id, True, sender=merchant)
    assert receipt.events == [manager.PlanPauseSet(plan_id=plan_id, paused=True)]
    assert plan_view(manager, plan_id).paused
    advance_to(chain, subscription(manager, subscription_id).paid_through)
    assert not manager.is_due(subscription_id)
    with ape.reverts("subscriptions: plan is paused"):
        manager.charge(subscription_id, sender=merchant)
    with ape.reverts("subscriptions: plan is paused"):
        manager.subscribe(plan_id, sender=subscriber)
    manager.set_plan_paused(plan_id, False, sender=merchant)
    assert manager.is_due(subscription_id)
    manager.charge(subscription_id, sender=merchant)


def test_pause_is_the_merchants_alone(manager: Any, token: Any, merchant: Any, attacker: Any) -> None:
    plan_id = create_plan(manager, token, merchant)
    with ape.reverts("subscriptions: caller is not the plan's merchant"):
        manager.set_plan_paused(plan_id, True, sender=attacker)
    with ape.reverts("subscriptions: unknown plan"):
        manager.set_plan_paused(plan_id + 1, True, sender=merchant)


def test_periods_paused_are_not_billed_afterwards(
    manager: Any, token: Any, merchant: Any, subscriber: Any, chain: Any
) -> None:
    plan_id = create_plan(manager, token, merchant)
    subscription_id = subscribe(manager, token, subscriber, plan_id)
    start_paid_through = subscription(manager, subscription_id).paid_through
    manager.set_plan_paused(plan_id, True, sender=merchant)
    advance_to(chain, start_paid_through + 3 * PERIOD + 5)
    manager.set_plan_paused(plan_id, False, sender=merchant)
    balance = token.balanceOf(subscriber)
    manager.charge(subscription_id, sender=merchant)
    assert token.balanceOf(subscriber) == balance - PRICE
    assert subscription(manager, subscription_id).paid_through == start_paid_through + 4 * PERIOD


# Subscribing with an allowance


def test_subscribe_without_trial_pays_the_first_period(
    manager: Any, token: Any, merchant: Any, subscriber: Any, chain: Any, approved_plan: int
) -> None:
    plan_id = approved_plan
    chain.pending_timestamp = start = chain.pending_timestamp + 100
    receipt = manager.subscribe(plan_id, sender=subscriber)
    assert receipt.events.filter(manager.Subscribed) == [
        manager.Subscribed(
            subscription_id=1,
            plan_id=plan_id,
            subscriber=subscriber,
            paid_through=start,
            method=SubscribeMethod.ALLOWANCE,
        )
    ]
    assert receipt.events.filter(manager.Charged) == [
        manager.Charged(subscription_id=1, paid_through=start + PERIOD)
    ]
    assert token.balanceOf(merchant) == PRICE
    assert token.balanceOf(subscriber) == FUNDS - PRICE
    assert token.balanceOf(manager) == 0
    assert tuple(subscription(manager, 1)) == (
        subscriber,
        plan_id,
        SubscriptionStatus.ACTIVE,
        start + PERIOD,
        1,
        0,
    )
    assert manager.subscription_count() == 1


def test_subscribe_with_trial_pays_nothing_until_the_trial_ends(
    manager: Any, token: Any, merchant: Any, subscriber: Any, chain: Any
) -> None:
    plan_id = create_plan(manager, token, merchant, Terms(trial=TRIAL))
    token.approve(manager, MAX_UINT256, sender=subscriber)
    chain.pending_timestamp = start = chain.pending_timestamp + 100
    receipt = manager.subscribe(plan_id, sender=subscriber)
    assert receipt.events.filter(manager.Charged) == []
    assert token.balanceOf(merchant) == 0
    state = subscription(manager, 1)
    assert (state.paid_through, state.periods_paid) == (start + TRIAL, 0)
    with ape.reverts("subscriptions: subscription is not due"):
        manager.charge(1, sender=merchant)
    advance_to(chain, start + TRIAL - 1)
    assert not manager.is_due(1)
    advance_to(chain, start + TRIAL)
    assert manager.is_due(1)
    receipt = manager.charge(1, sender=merchant)
    assert receipt.events.filter(manager.Charged) == [
        manager.Charged(subscription_id=1, paid_through=start + TRIAL + PERIOD)
    ]
    assert token.balanceOf(merchant) == PRICE


def test_a_one_period_plan_completes_at_once(
    manager: Any, token: Any, merchant: Any, subscriber: Any
) -> None:
    plan_id = create_plan(manager, token, merchant, Terms(max_periods=1))
    token.approve(manager, MAX_UINT256, sender=subscriber)
    receipt = manager.subscribe(plan_id, sender=subscriber)
    assert receipt.events.filter(manager.Completed) == [manager.Completed(subscription_id=1)]
    assert subscription(manager, 1).status == SubscriptionStatus.COMPLETED


def test_subscribe_refusals(
    manager: Any, token: Any, merchant: Any, subscriber: Any, other_subscriber: Any
) -> None:
    plan_id = create_plan(manager, token, merchant)
    with ape.reverts("subscriptions: unknown plan"):
        manager.subscribe(plan_id + 1, sender=subscriber)
    with ape.reverts("subscriptions: merchant cannot subscribe to own plan"):
        manager.subscribe(plan_id, sender=merchant)
    with ape.reverts("subscriptions: allowance below one period"):
        manager.subscribe(plan_id, sender=subscriber)
    token.approve(manager, MAX_UINT256, sender=other_subscriber)
    with ape.reverts("subscriptions: balance below one period"):
        manager.subscribe(plan_id, sender=other_subscriber)
    assert manager.subscription_count() == 0


def test_a_trial_needs_the_allowance_for_its_first_charge(
    manager: Any,
    token: Any,
    merchant: Any,
    subscriber: Any,
    other_subscriber: Any,
    subscriber_key: LocalAccount,
    relayer: Any,
    chain: Any,
) -> None:
    """A trial without an allowance would be free: its first charge could only fail."""
    plan_id = create_plan(manager, token, merchant, Terms(trial=TRIAL))
    token.approve(manager, PRICE - 1, sender=subscriber)
    with ape.reverts("subscriptions: allowance below one period"):
        manager.subscribe(plan_id, sender=subscriber)
    args = authorize(manager, subscriber_key, plan_id, chain)
    with ape.reverts("subscriptions: allowance below one period"):
        manager.subscribe_with_authorization(*args, sender=relayer)
    token.approve(manager, PRICE, sender=subscriber)
    manager.subscribe_with_authorization(*args, sender=relayer)
    token.approve(manager, PRICE, sender=other_subscriber)  # no balance: a trial does not need one yet
    manager.subscribe(plan_id, sender=other_subscriber)
    assert manager.subscription_count() == 2


# Subscribing with a permit


def permit_signature(
    token: Any,
    signer: LocalAccount,
    spender: Any,
    value: int,
    deadline: int,
    chain: Any,
    nonce: int | None = None,
) -> tuple[int, bytes, bytes]:
    signature = sign_permit(
        signer,
        token.name(),
        token.address,
        chain.chain_id,
        spender.address,
        value,
        token.nonces(signer.address) if nonce is None else nonce,
        deadline,
    )
    return signature.v, signature.r, signature.s


def test_subscribe_with_permit(
    manager: Any, token: Any, merchant: Any, subscriber: Any, subscriber_key: LocalAccount, chain: Any
) -> None:
    plan_id = create_plan(manager, token, merchant)
    deadline = chain.pending_timestamp + 3600
    v, r, s = permit_signature(token, subscriber_key, manager, 12 * PRICE, deadline, chain)
    receipt = manager.subscribe_with_permit(plan_id, 12 * PRICE, deadline, v, r, s, sender=subscriber)
    assert receipt.events.filter(manager.Subscribed)[0].method == SubscribeMethod.PERMIT
    assert token.allowance(subscriber, manager) == 11 * PRICE
    assert token.balanceOf(merchant) == PRICE


def test_a_permit_submitted_first_by_someone_else_does_not_block(
    manager: Any,
    token: Any,
    merchant: Any,
    subscriber: Any,
    subscriber_key: LocalAccount,
    attacker: Any,
    chain: Any,
) -> None:
    plan_id = create_plan(manager, token, merchant)
    deadline = chain.pending_timestamp + 3600
    v, r, s = permit_signature(token, subscriber_key, manager, 12 * PRICE, deadline, chain)
    token.permit(subscriber, manager, 12 * PRICE, deadline, v, r, s, sender=attacker)  # front-run
    manager.subscribe_with_permit(plan_id, 12 * PRICE, deadline, v, r, s, sender=subscriber)
    assert token.balanceOf(merchant) == PRICE


def test_a_failed_permit_without_allowance_is_refused(
    manager: Any, token: Any, merchant: Any, subscriber: Any, subscriber_key: LocalAccount, chain: Any
) -> None:
    plan_id = create_plan(manager, token, merchant)
    deadline = chain.pending_timestamp + 3600
    v, r, s = permit_signature(token, subscriber_key, manager, 12 * PRICE, deadline, chain, nonce=5)
    with ape.reverts("subscriptions: allowance below one period"):
        manager.subscribe_with_permit(plan_id, 12 * PRICE, deadline, v, r, s, sender=subscriber)
    with ape.reverts("subscriptions: unknown plan"):
        manager.subscribe_with_permit(plan_id + 1, 12 * PRICE, deadline, v, r, s, sender=subscriber)


# Subscribing with a gasless authorization

AUTHORIZATION_LIFETIME = 3600
"""How long the authorizations the tests sign stay valid (seconds)."""


def authorize(
    manager: Any,
    signer: LocalAccount,
    plan_id: int,
    chain: Any,
    *,
    deadline: int | None = None,
    chain_id: int | None = None,
    nonce: int | None = None,
    verifying_contract: str | None = None,
    amount: int | None = None,
) -> tuple[Any, ...]:
    """The arguments of `subscribe_with_authorization` for `signer`'s authorization, after the signature;
    unless given, valid for an hour on this chain, for the plan's terms and the signer's next nonce."""
    plan = plan_view(manager, plan_id)
    deadline = chain.pending_timestamp + AUTHORIZATION_LIFETIME if deadline is None else deadline
    authorization = SubscribeAuthorization(
        subscriber=signer.address,
        plan_id=plan_id,
        token=plan.token,
        amount=plan.amount if amount is None else amount,
        period=plan.period,
        nonce=manager.nonces(signer.address) if nonce is None else nonce,
        deadline=deadline,
    )
    signed = sign_authorization(
        signer,
        authorization,
        chain.chain_id if chain_id is None else chain_id,
        verifying_contract or manager.address,
    )
    signature = signed.signature
    return (signer.address, plan_id, authorization.nonce, deadline, signature.v, signature.r, signature.s)


def test_anyone_may_relay_an_authorization(
    manager: Any,
    token: Any,
    merchant: Any,
    subscriber: Any,
    subscriber_key: LocalAccount,
    relayer: Any,
    chain: Any,
    approved_plan: int,
) -> None:
    args = authorize(manager, subscriber_key, approved_plan, chain)
    receipt = manager.subscribe_with_authorization(*args, sender=relayer)
    assert receipt.events.filter(manager.Subscribed)[0].subscriber == subscriber
    assert receipt.events.filter(manager.Subscribed)[0].method == SubscribeMethod.AUTHORIZATION
    assert manager.nonces(subscriber) == 1
    assert token.balanceOf(merchant) == PRICE
    assert subscription(manager, 1).subscriber == subscriber


def test_an_authorization_cannot_be_replayed(
    manager: Any, subscriber_key: LocalAccount, relayer: Any, chain: Any, approved_plan: int
) -> None:
    args = authorize(manager, subscriber_key, approved_plan, chain)
    manager.subscribe_with_authorization(*args, sender=relayer)
    with ape.reverts("subscriptions: authorization nonce is not the next one"):
        manager.subscribe_with_authorization(*args, sender=relayer)
    assert manager.subscription_count() == 1


def test_an_expired_authorization_is_refused(
    manager: Any, token: Any, merchant: Any, subscriber_key: LocalAccount, relayer: Any, chain: Any
) -> None:
    plan_id = create_plan(manager, token, merchant)
    deadline = chain.pending_timestamp + 10
    args = authorize(manager, subscriber_key, plan_id, chain, deadline=deadline)
    chain.pending_timestamp = deadline + 1
    with ape.reverts("subscriptions: authorization expired"):
        manager.subscribe_with_authorization(*args, sender=relayer)


@pytest.mark.parametrize("mismatch", ["chain", "contract", "terms", "signer"])
def test_an_authorization_for_something_else_is_refused(
    manager: Any,
    token: Any,
    subscriber: Any,
    subscriber_key: LocalAccount,
    relayer: Any,
    chain: Any,
    mismatch: str,
    approved_plan: int,
) -> None:
    signer = dev_accounts()[8] if mismatch == "signer" else subscriber_key
    args = authorize(
        manager,
        signer,
        approved_plan,
        chain,
        chain_id=chain.chain_id + 1 if mismatch == "chain" else None,
        verifying_contract=token.address if mismatch == "contract" else None,
        amount=PRICE - 1 if mismatch == "terms" else None,
    )
    args = (subscriber.address, *args[1:])
    with ape.reverts("subscriptions: authorization signer is not the subscriber"):
        manager.subscribe_with_authorization(*args, sender=relayer)
    assert manager.nonces(subscriber) == 0


def test_a_subscriber_invalidates_an_unused_authorization(
    manager: Any,
    subscriber: Any,
    subscriber_key: LocalAccount,
    relayer: Any,
    attacker: Any,
    chain: Any,
    approved_plan: int,
) -> None:
    args = authorize(manager, subscriber_key, approved_plan, chain)
    receipt = manager.invalidate_nonce(sender=subscriber)
    assert receipt.events == [manager.NonceInvalidated(subscriber=subscriber, nonce=0)]
    assert manager.nonces(subscriber) == 1
    with ape.reverts("subscriptions: authorization nonce is not the next one"):
        manager.subscribe_with_authorization(*args, sender=relayer)
    manager.invalidate_nonce(sender=attacker)  # anyone consumes only their own nonce
    assert (manager.nonces(subscriber), manager.nonces(attacker)) == (1, 1)
    fresh = authorize(manager, subscriber_key, approved_plan, chain)
    manager.subscribe_with_authorization(*fresh, sender=relayer)
    assert manager.nonces(subscriber) == 2
    assert manager.subscription_count() == 1


def test_authorization_signature_checks(
    manager: Any, token: Any, merchant: Any, subscriber_key: LocalAccount, relayer: Any, chain: Any
) -> None:
    plan_id = create_plan(manager, token, merchant)
    subscriber, plan, nonce, deadline, v, r, s = authorize(manager, subscriber_key, plan_id, chain)
    high_s = (SECP256K1_ORDER - int.from_bytes(s, "big")).to_bytes(32, "big")
    with ape.reverts("ecdsa: s is in the upper half of the order"):
        manager.subscribe_with_authorization(
            subscriber, plan, nonce, deadline, 55 - v, r, high_s, sender=relayer
        )
    with ape.reverts("subscriptions: authorization nonce is not the next one"):
        manager.subscribe_with_authorization(subscriber, plan, nonce + 1, deadline, v, r, s, sender=relayer)
    with ape.reverts("subscriptions: unknown plan"):
        manager.subscribe_with_authorization(subscriber, plan + 1, nonce, deadline, v, r, s, sender=relayer)


# Charging


@pytest.fixture
def live(manager: Any, token: Any, merchant: Any, subscriber: Any) -> tuple[int, int]:
    """(plan id, subscription id): the subscriber paid the first period of a plan without fee or limit."""
    plan_id = create_plan(manager, token, merchant)
    return plan_id, subscribe(manager, token, subscriber, plan_id)


def test_charge_pays_the_next_period_once(
    manager: Any, token: Any, merchant: Any, keeper: Any, chain: Any, live: tuple[int, int]
) -> None:
    _, subscription_id = live
    paid_through = subscription(manager, subscription_id).paid_through
    with ape.reverts("subscriptions: subscription is not due"):
        manager.charge(subscription_id, sender=keeper)
    advance_to(chain, paid_through)
    receipt = manager.charge(subscription_id, sender=keeper)
    assert receipt.events.filter(manager.Charged) == [
        manager.Charged(subscription_id=subscription_id, paid_through=paid_through + PERIOD)
    ]
    assert token.balanceOf(merchant) == 2 * PRICE
    assert subscription(manager, subscription_id).periods_paid == 2
    with ape.reverts("subscriptions: subscription is not due"):
        manager.charge(subscription_id, sender=keeper)


def test_a_late_charge_pays_the_current_period_only(
    manager: Any, token: Any, keeper: Any, subscriber: Any, chain: Any, live: tuple[int, int]
) -> None:
    _, subscription_id = live
    paid_through = subscription(manager, subscription_id).paid_through
    now = paid_through + 2 * PERIOD + PERIOD // 2
    advance_to(chain, now)
    balance = token.balanceOf(subscriber)
    manager.charge(subscription_id, sender=keeper)
    state = subscription(manager, subscription_id)
    assert state.paid_through == next_paid_through(paid_through, PERIOD, now + 1) == paid_through + 3 * PERIOD
    assert (state.periods_paid, token.balanceOf(subscriber)) == (2, balance - PRICE)


def test_charge_takes_the_plans_fee_for_the_treasury(
    manager: Any,
    token: Any,
    merchant: Any,
    subscriber: Any,
    keeper: Any,
    deployer: Any,
    fee_treasury: Any,
    chain: Any,
) -> None:
    manager.set_fee(250, sender=deployer)
    plan_id = create_plan(manager, token, merchant)
    subscription_id = subscribe(manager, token, subscriber, plan_id)
    fee = PRICE * 250 // 10_000
    assert (token.balanceOf(merchant), token.balanceOf(fee_treasury)) == (PRICE - fee, fee)
    manager.set_treasury(keeper, sender=deployer)  # existing plans pay the new treasury
    advance_to(chain, subscription(manager, subscription_id).paid_through)
    manager.charge(subscription_id, sender=keeper)
    assert (token.balanceOf(merchant), token.balanceOf(keeper)) == (2 * (PRICE - fee), fee)
    assert token.balanceOf(subscriber) == FUNDS - 2 * PRICE


def test_with_a_fee_both_legs_are_paid_or_neither(
    manager: Any,
    token: Any,
    merchant: Any,
    subscriber: Any,
    keeper: Any,
    deployer: Any,
    fee_treasury: Any,
    chain: Any,
) -> None:
    manager.set_fee(1_000, sender=deployer)
    plan_id = create_plan(manager, token, merchant, Terms(trial=TRIAL))
    subscription_id = subscribe(manager, token, subscriber, plan_id)
    token.transfer(keeper, FUNDS - PRICE + 1, sender=subscriber)  # enough for the merchant's share only
    advance_to(chain, subscription(manager, subscription_id).paid_through)
    receipt = manager.charge(subscription_id, sender=keeper)
    assert receipt.events.filter(manager.ChargeFailed)
    assert token.balanceOf(subscriber) == PRICE - 1
    assert token.balanceOf(merchant) == token.balanceOf(fee_treasury) == 0
    token.approve(manager, PRICE - 1, sender=subscriber)
    token.transfer(subscriber, 1, sender=keeper)
    receipt = manager.charge(subscription_id, sender=keeper)  # balance enough, allowance one short
    assert receipt.events.filter(manager.ChargeFailed)
    assert token.balanceOf(merchant) == 0


def test_failed_charge_starts_grace_then_retry_succeeds(
    manager: Any, token: Any, subscriber: Any, keeper: Any, chain: Any, live: tuple[int, int]
) -> None:
    _, subscription_id = live
    paid_through = subscription(manager, subscription_id).paid_through
    token.approve(manager, 0, sender=subscriber)
    chain.pending_timestamp = paid_through + 60
    receipt = manager.charge(subscription_id, sender=keeper)
    grace_ends = paid_through + 60 + GRACE
    assert receipt.events == [manager.ChargeFailed(subscription_id=subscription_id, grace_ends=grace_ends)]
    state = subscription(manager, subscription_id)
    assert (state.status, state.paid_through, state.periods_paid, state.grace_ends) == (
        SubscriptionStatus.PAST_DUE,
        paid_through,
        1,
        grace_ends,
    )
    chain.pending_timestamp = grace_ends - 100
    receipt = manager.charge(subscription_id, sender=keeper)  # still failing: grace is not restarted
    assert receipt.events == [manager.ChargeFailed(subscription_id=subscription_id, grace_ends=grace_ends)]
    token.approve(manager, MAX_UINT256, sender=subscriber)
    chain.pending_timestamp = grace_ends - 1
    receipt = manager.charge(subscription_id, sender=keeper)
    assert receipt.events.filter(manager.Charged) == [
        manager.Charged(subscription_id=subscription_id, paid_through=paid_through + PERIOD)
    ]
    state = subscription(manager, subscription_id)
    assert (state.status, state.periods_paid, state.grace_ends) == (SubscriptionStatus.ACTIVE, 2, 0)


def test_past_due_lapses_after_grace(
    manager: Any, token: Any, merchant: Any, subscriber: Any, keeper: Any, chain: Any, live: tuple[int, int]
) -> None:
    _, subscription_id = live
    paid_through = subscription(manager, subscription_id).paid_through
    token.approve(manager, 0, sender=subscriber)
    chain.pending_timestamp = paid_through
    manager.charge(subscription_id, sender=keeper)
    token.approve(manager, MAX_UINT256, sender=subscriber)  # too late: the grace has run out
    advance_to(chain, paid_through + GRACE)
    assert manager.is_due(subscription_id)
    receipt = manager.charge(subscription_id, sender=keeper)
    assert receipt.events == [manager.Lapsed(subscription_id=subscription_id)]
    state = subscription(manager, subscription_id)
    assert (state.status, state.grace_ends) == (SubscriptionStatus.LAPSED, 0)
    assert token.balanceOf(merchant) == PRICE
    assert not manager.is_due(subscription_id)
    with ape.reverts("subscriptions: subscription is not live"):
        manager.charge(subscription_id, sender=keeper)


def test_subscription_completes_after_its_periods(
    manager: Any, token: Any, merchant: Any, subscriber: Any, keeper: Any, chain: Any
) -> None:
    plan_id = create_plan(manager, token, merchant, Terms(max_periods=3))
    subscription_id = subscribe(manager, token, subscriber, plan_id)
    for _ in range(2):
        advance_to(chain, subscription(manager, subscription_id).paid_through)
        receipt = manager.charge(subscription_id, sender=keeper)
    assert receipt.events.filter(manager.Completed) == [manager.Completed(subscription_id=subscription_id)]
    assert subscription(manager, subscription_id).status == SubscriptionStatus.COMPLETED
    assert token.balanceOf(merchant) == 3 * PRICE
    advance_to(chain, subscription(manager, subscription_id).paid_through)
    with ape.reverts("subscriptions: subscription is not live"):
        manager.charge(subscription_id, sender=keeper)


def test_charge_refuses_unknown_subscriptions(manager: Any, keeper: Any) -> None:
    with ape.reverts("subscriptions: unknown subscription"):
        manager.charge(1, sender=keeper)
    assert not manager.is_due(1)
    assert manager.subscription(1).status == SubscriptionStatus.NONE


@pytest.fixture
def fee_token(project: Any, deployer: Any, subscriber: Any) -> Any:
    """A token that burns a share of each transfer once its owner switches the fee on (it starts at 0)."""
    token = project.FeeOnTransferToken.deploy(0, sender=deployer)
    token.mint(subscriber, FUNDS, sender=deployer)
    return token


def test_a_token_that_takes_a_fee_is_refused(
    manager: Any, fee_token: Any, merchant: Any, subscriber: Any, keeper: Any, deployer: Any, chain: Any
) -> None:
    plan_id = create_plan(manager, fee_token, merchant)
    subscription_id = subscribe(manager, fee_token, subscriber, plan_id)  # no fee yet: accepted
    fee_token.set_fee(100, sender=deployer)
    advance_to(chain, subscription(manager, subscription_id).paid_through)
    with ape.reverts("subscriptions: token takes a fee on transfer"):
        manager.charge(subscription_id, sender=keeper)
    receipt = manager.charge_many([subscription_id], sender=keeper)
    (skipped,) = receipt.events.filter(manager.ChargeSkipped)
    assert revert_reason(bytes(skipped.reason)) == "subscriptions: token takes a fee on transfer"
    assert subscription(manager, subscription_id).status == SubscriptionStatus.ACTIVE
    fee_token.approve(manager, MAX_UINT256, sender=keeper)
    fee_token.mint(keeper, FUNDS, sender=deployer)
    with ape.reverts("subscriptions: token takes a fee on transfer"):
        manager.subscribe(plan_id, sender=keeper)  # the first payment is checked the same way


def test_a_token_that_burns_the_gas_cannot_start_a_grace(
    manager: Any, merchant: Any, subscriber: Any, keeper: Any, deployer: Any, chain: Any
) -> None:
    burner = deploy_source(GAS_BURNING_TOKEN, deployer)
    plan_id = create_plan(manager, burner, merchant, Terms(trial=TRIAL))
    manager.subscribe(plan_id, sender=subscriber)
    advance_to(chain, subscription(manager, 1).paid_through)
    for gas in (400_000, 5_000_000):
        with ape.reverts("subscriptions: token transfer failed"):
            manager.charge(1, sender=keeper, gas=gas)
    assert subscription(manager, 1).status == SubscriptionStatus.ACTIVE


@pytest.fixture
def invalid_token(deployer: Any, subscriber: Any, manager: Any) -> Any:
    """`INVALID_FAILING_TOKEN`, FUNDS minted to the subscriber, who approved the manager without limit."""
    token = deploy_source(INVALID_FAILING_TOKEN, deployer)
    token.mint(subscriber, FUNDS, sender=deployer)
    token.approve(manager, MAX_UINT256, sender=subscriber)
    return token


def test_an_insolvent_subscriber_lapses_even_if_the_token_fails_with_invalid(
    manager: Any, invalid_token: Any, merchant: Any, subscriber: Any, keeper: Any, chain: Any
) -> None:
    """The balance is checked before any transfer, so a token that would burn all its gas on an insolvent
    subscriber is never called: the charge is recorded as failed, and the subscription lapses after its grace
    (it stayed live for ever when a gas-burning failure was read as a charge starved of gas)."""
    plan_id = create_plan(manager, invalid_token, merchant)
    subscription_id = subscribe(manager, invalid_token, subscriber, plan_id)
    invalid_token.transfer(keeper, FUNDS - PRICE - 1, sender=subscriber)  # one base unit short
    paid_through = subscription(manager, subscription_id).paid_through
    chain.pending_timestamp = paid_through
    receipt = manager.charge(subscription_id, sender=keeper)
    assert receipt.events == [
        manager.ChargeFailed(subscription_id=subscription_id, grace_ends=paid_through + GRACE)
    ]
    chain.pending_timestamp = paid_through + GRACE
    receipt = manager.charge_many([subscription_id], sender=keeper)
    assert receipt.events == [manager.Lapsed(subscription_id=subscription_id)]
    assert subscription(manager, subscription_id).status == SubscriptionStatus.LAPSED
    assert invalid_token.balanceOf(merchant) == PRICE


def test_a_transfer_failing_after_the_checks_reverts_the_charge(
    manager: Any, invalid_token: Any, merchant: Any, subscriber: Any, keeper: Any, deployer: Any, chain: Any
) -> None:
    """Balance and allowance suffice but the token still fails (here with INVALID, all gas burnt): the charge
    reverts with a reason of its own and records nothing, whatever gas it was sent."""
    plan_id = create_plan(manager, invalid_token, merchant)
    subscription_id = subscribe(manager, invalid_token, subscriber, plan_id)
    invalid_token.freeze(subscriber, sender=deployer)
    advance_to(chain, subscription(manager, subscription_id).paid_through)
    with ape.reverts("subscriptions: token transfer failed"):
        manager.charge(subscription_id, sender=keeper, gas=5_000_000)
    receipt = manager.charge_many([subscription_id], sender=keeper)
    (skipped,) = receipt.events.filter(manager.ChargeSkipped)
    assert revert_reason(bytes(skipped.reason)) == "subscriptions: token transfer failed"
    state = subscription(manager, subscription_id)
    assert (state.status, state.periods_paid, state.grace_ends) == (SubscriptionStatus.ACTIVE, 1, 0)


def test_a_token_that_re_enters_and_fails_reverts_the_charge(
    manager: Any, merchant: Any, keeper: Any, deployer: Any, chain: Any
) -> None:
    reentrant = deploy_source(REENTERING_TOKEN, deployer)
    plan_id = create_plan(manager, reentrant, merchant, Terms(trial=TRIAL))
    reentrant.join(manager, plan_id, sender=deployer)
    advance_to(chain, subscription(manager, 1).paid_through)
    with ape.reverts("subscriptions: token transfer failed"):
        manager.charge(1, sender=keeper)
    assert subscription(manager, 1).status == SubscriptionStatus.ACTIVE


def test_a_fee_that_cannot_be_paid_reverts_the_whole_charge(
    manager: Any, merchant: Any, subscriber: Any, keeper: Any, deployer: Any, fee_treasury: Any, chain: Any
) -> None:
    blocking = deploy_source(BLOCKING_TOKEN, deployer, fee_treasury)
    blocking.mint(subscriber, FUNDS, sender=deployer)
    blocking.approve(manager, MAX_UINT256, sender=subscriber)
    manager.set_fee(100, sender=deployer)
    plan_id = create_plan(manager, blocking, merchant, Terms(trial=TRIAL))
    manager.subscribe(plan_id, sender=subscriber)
    advance_to(chain, subscription(manager, 1).paid_through)
    with ape.reverts("subscriptions: fee transfer failed"):
        manager.charge(1, sender=keeper)
    assert blocking.balanceOf(merchant) == 0
    assert subscription(manager, 1).status == SubscriptionStatus.ACTIVE


# Charging many


def test_charge_many_charges_the_due_and_skips_the_rest(
    manager: Any,
    token: Any,
    merchant: Any,
    subscriber: Any,
    other_subscriber: Any,
    keeper: Any,
    deployer: Any,
    chain: Any,
) -> None:
    plan_id = create_plan(manager, token, merchant)
    token.mint(other_subscriber, FUNDS, sender=deployer)
    paying = subscribe(manager, token, subscriber, plan_id)
    broke = subscribe(manager, token, other_subscriber, plan_id)
    cancelled = subscribe(manager, token, subscriber, plan_id)
    manager.cancel(cancelled, sender=subscriber)
    advance_to(chain, subscription(manager, paying).paid_through)
    token.transfer(keeper, token.balanceOf(other_subscriber), sender=other_subscriber)
    early_plan = create_plan(manager, token, merchant)
    not_due = subscribe(manager, token, subscriber, early_plan)
    unknown = 99
    receipt = manager.charge_many([paying, broke, cancelled, not_due, unknown, paying], sender=keeper)
    assert receipt.events.filter(manager.Charged) == [
        manager.Charged(subscription_id=paying, paid_through=subscription(manager, paying).paid_through)
    ]
    assert [event.subscription_id for event in receipt.events.filter(manager.ChargeFailed)] == [broke]
    reasons = {
        event.subscription_id if event.subscription_id != paying else "repeat": revert_reason(
            bytes(event.reason)
        )
        for event in receipt.events.filter(manager.ChargeSkipped)
    }
    assert reasons == {
        cancelled: "subscriptions: subscription is not live",
        not_due: "subscriptions: subscription is not due",
        unknown: "subscriptions: unknown subscription",
        "repeat": "subscriptions: subscription is not due",
    }
    assert token.balanceOf(merchant) == 5 * PRICE
    assert subscription(manager, broke).status == SubscriptionStatus.PAST_DUE


def test_charge_many_refuses_to_run_short_of_gas(
    manager: Any, token: Any, merchant: Any, subscriber: Any, keeper: Any, chain: Any, live: tuple[int, int]
) -> None:
    _, subscription_id = live
    advance_to(chain, subscription(manager, subscription_id).paid_through)
    with ape.reverts("subscriptions: not enough gas for the next charge"):
        manager.charge_many([subscription_id], sender=keeper, gas=200_000)
    manager.charge_many([subscription_id], sender=keeper, gas=400_000)
    assert subscription(manager, subscription_id).periods_paid == 2


# Cancelling


def test_subscriber_or_merchant_may_cancel(
    manager: Any, token: Any, merchant: Any, subscriber: Any, keeper: Any, chain: Any, live: tuple[int, int]
) -> None:
    plan_id, first = live
    second = subscribe(manager, token, subscriber, plan_id)
    receipt = manager.cancel(first, sender=subscriber)
    assert receipt.events == [manager.Cancelled(subscription_id=first, cancelled_by=subscriber)]
    receipt = manager.cancel(second, sender=merchant)
    assert receipt.events == [manager.Cancelled(subscription_id=second, cancelled_by=merchant)]
    for subscription_id in (first, second):
        state = subscription(manager, subscription_id)
        assert (state.status, state.periods_paid) == (SubscriptionStatus.CANCELLED, 1)
        with ape.reverts("subscriptions: subscription is not live"):
            manager.cancel(subscription_id, sender=subscriber)
    advance_to(chain, subscription(manager, first).paid_through)
    assert not manager.is_due(first)
    with ape.reverts("subscriptions: subscription is not live"):
        manager.charge(first, sender=keeper)


def test_outsiders_cannot_cancel(manager: Any, attacker: Any, live: tuple[int, int]) -> None:
    _, subscription_id = live
    with ape.reverts("subscriptions: caller is neither subscriber nor merchant"):
        manager.cancel(subscription_id, sender=attacker)
    with ape.reverts("subscriptions: unknown subscription"):
        manager.cancel(subscription_id + 1, sender=attacker)


def test_cancelling_past_due_clears_the_grace(
    manager: Any, token: Any, subscriber: Any, keeper: Any, chain: Any, live: tuple[int, int]
) -> None:
    _, subscription_id = live
    token.approve(manager, 0, sender=subscriber)
    advance_to(chain, subscription(manager, subscription_id).paid_through)
    manager.charge(subscription_id, sender=keeper)
    assert subscription(manager, subscription_id).grace_ends > 0
    manager.cancel(subscription_id, sender=subscriber)
    assert subscription(manager, subscription_id).grace_ends == 0
