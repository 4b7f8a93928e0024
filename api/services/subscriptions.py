"""Subscription plans and subscriptions as the network's SubscriptionManager holds them now (read-only).

Straight from the network's node, nothing cached: a charge changes a subscription at any block. Each answer is
read at one block, named in it (`block_number`, `block_timestamp`); `due` is the contract's own `is_due` at
that block. The manager is the deployments registry's `SubscriptionManager`; a registry written for another
chain id is refused (`RegistryMismatch`) rather than used to name a stranger's contract.

Every integer of a plan or a subscription is uint256 in the contract, so every one is a decimal string in the
answers (`api.schemas.Uint256`), as is the chain id; block numbers and timestamps stay JSON numbers.
"""

from typing import Literal

from pydantic import BaseModel, Field
from web3 import Web3
from web3.types import BlockData

from api.errors import NotFound, RegistryMismatch
from api.pagination import Listing, Page, key_part
from api.schemas import ChainId, Uint256
from api.services.events import deployed_contracts
from api.services.rpc import ChainClients, rpc_failures_as_unavailable
from api.settings import ApiSettings, Network
from chain.client import chain_id
from chain.subscriptions import (
    CONTRACT_TYPE,
    Plan,
    Subscription,
    SubscriptionError,
    SubscriptionManager,
    SubscriptionStatus,
    UnknownPlan,
    UnknownSubscription,
)

MANAGER_NAME = CONTRACT_TYPE
PLANS = Listing("subscription-plans", (int,))

StatusName = Literal["active", "past_due", "cancelled", "lapsed", "completed"]
STATUS_NAMES: dict[SubscriptionStatus, StatusName] = {
    SubscriptionStatus.ACTIVE: "active",
    SubscriptionStatus.PAST_DUE: "past_due",
    SubscriptionStatus.CANCELLED: "cancelled",
    SubscriptionStatus.LAPSED: "lapsed",
    SubscriptionStatus.COMPLETED: "completed",
}


class SubscriptionsNotDeployed(NotFound):
    """The network's deployments registry names no SubscriptionManager (or there is no registry yet)."""

    problem = "subscriptions-not-deployed"
    title = "No subscription manager on this network"


class PlanNotFound(NotFound):
    """The manager has no plan with that id."""

    problem = "plan-not-found"
    title = "Plan not found"


class SubscriptionNotFound(NotFound):
    """The manager has no subscription with that id."""

    problem = "subscription-not-found"
    title = "Subscription not found"


class PlanOut(BaseModel):
    """A plan's terms (fixed when it was created) and whether its merchant has paused it."""

    plan_id: Uint256
    merchant: str = Field(description="Who is paid at every charge (checksummed).")
    token: str = Field(description="The ERC-20 token subscribers pay in (checksummed).")
    amount: Uint256 = Field(description="Base units charged per period.")
    fee_bps: Uint256 = Field(description="The protocol fee of this plan, in basis points of `amount`.")
    fee: Uint256 = Field(description="Base units of each charge that go to the treasury.")
    merchant_amount: Uint256 = Field(description="Base units of each charge the merchant receives.")
    period: Uint256 = Field(description="Seconds per period.")
    trial: Uint256 = Field(description="Seconds from subscribing to the first charge (0: charged at once).")
    grace: Uint256 = Field(description="Seconds a subscription stays past due after a failed charge.")
    max_periods: Uint256 = Field(description="Periods a subscription pays before it completes; 0: no limit.")
    paused: bool = Field(description="A paused plan charges nobody and takes no new subscribers.")


class SubscriptionOut(BaseModel):
    """A subscription's state."""

    subscription_id: Uint256
    subscriber: str = Field(description="Who pays (checksummed).")
    plan_id: Uint256
    status: StatusName
    paid_through: Uint256 = Field(description="End of the last paid period, or of the trial (unix seconds).")
    periods_paid: Uint256
    grace_ends: Uint256 | None = Field(
        description="While past due: when the grace period ends (unix seconds)."
    )
    due: bool = Field(description="Whether a charge at `block_timestamp` would try to collect.")


class ManagerView(BaseModel):
    """Where and when it was read."""

    network: Network
    chain_id: ChainId
    manager: str = Field(description="The SubscriptionManager's address (checksummed).")
    block_number: int
    block_timestamp: int


class PlanList(ManagerView, Page[PlanOut]):
    """A page of plans, by id (`api.pagination`: plans only ever get new, higher ids)."""

    total: Uint256 = Field(description="How many plans exist (ids 1 to `total`).")


class PlanView(ManagerView):
    plan: PlanOut


class SubscriptionView(ManagerView):
    subscription: SubscriptionOut


def _manager(settings: ApiSettings, network: Network, w3: Web3) -> SubscriptionManager:
    contracts = deployed_contracts(settings, network, chain_id(w3))
    if contracts is None:
        raise SubscriptionsNotDeployed(f"nothing is deployed on {network} yet", network=network)
    for address, name in contracts.names.items():
        if name == MANAGER_NAME:
            return SubscriptionManager(w3, address)
    raise SubscriptionsNotDeployed(f"no {MANAGER_NAME} is deployed on {network}", network=network)


def _view(network: Network, w3: Web3, manager: SubscriptionManager, block: BlockData) -> ManagerView:
    return ManagerView(
        network=network,
        chain_id=chain_id(w3),
        manager=manager.address,
        block_number=block["number"],
        block_timestamp=block["timestamp"],
    )


def _plan_out(plan: Plan) -> PlanOut:
    return PlanOut(
        plan_id=plan.plan_id,
        merchant=plan.merchant,
        token=plan.token,
        amount=plan.amount,
        fee_bps=plan.fee_bps,
        fee=plan.fee,
        merchant_amount=plan.merchant_amount,
        period=plan.period,
        trial=plan.trial,
        grace=plan.grace,
        max_periods=plan.max_periods,
        paused=plan.paused,
    )


def _subscription_out(subscription: Subscription, due: bool) -> SubscriptionOut:
    return SubscriptionOut(
        subscription_id=subscription.subscription_id,
        subscriber=subscription.subscriber,
        plan_id=subscription.plan_id,
        status=STATUS_NAMES[subscription.status],
        paid_through=subscription.paid_through,
        periods_paid=subscription.periods_paid,
        grace_ends=subscription.grace_ends if subscription.status == SubscriptionStatus.PAST_DUE else None,
        due=due,
    )


def plans(
    settings: ApiSettings, chains: ChainClients, network: Network, cursor: str | None, limit: int
) -> PlanList:
    """A page of `network`'s manager's plans after the cursor's, by id, as of the latest block."""
    filters = {"network": network}
    after = PLANS.decode(cursor, filters)
    w3 = chains.web3(network)
    with rpc_failures_as_unavailable(network):
        manager = _manager(settings, network, w3)
        block = w3.eth.get_block("latest")
        try:
            total = manager.plan_count(block=block["number"])
            offset = 0 if after is None else key_part(after, 0, int)
            fetched = manager.plans(offset=offset, limit=limit + 1, block=block["number"])
        except SubscriptionError as error:  # the registry's manager does not behave as one
            raise RegistryMismatch(str(error), network=network) from None
        page = PLANS.page(
            [_plan_out(p) for p in fetched],
            limit,
            lambda plan: (plan.plan_id,),
            cursor=cursor,
            filters=filters,
        )
        return PlanList(**_view(network, w3, manager, block).model_dump(), total=total, **dict(page))


def plan(settings: ApiSettings, chains: ChainClients, network: Network, plan_id: int) -> PlanView:
    """Plan `plan_id` of `network`'s manager as of the latest block; `PlanNotFound` if there is none."""
    w3 = chains.web3(network)
    with rpc_failures_as_unavailable(network):
        manager = _manager(settings, network, w3)
        block = w3.eth.get_block("latest")
        try:
            found = manager.plan(plan_id, block=block["number"])
        except UnknownPlan:
            raise PlanNotFound(f"the {network} manager {manager.address} has no plan {plan_id}") from None
        return PlanView(**_view(network, w3, manager, block).model_dump(), plan=_plan_out(found))


def subscription(
    settings: ApiSettings, chains: ChainClients, network: Network, subscription_id: int
) -> SubscriptionView:
    """Subscription `subscription_id` as of the latest block; `SubscriptionNotFound` if there is none."""
    w3 = chains.web3(network)
    with rpc_failures_as_unavailable(network):
        manager = _manager(settings, network, w3)
        block = w3.eth.get_block("latest")
        try:
            found = manager.subscription(subscription_id, block=block["number"])
        except UnknownSubscription:
            raise SubscriptionNotFound(
                f"the {network} manager {manager.address} has no subscription {subscription_id}"
            ) from None
        due = manager.is_due(subscription_id, block=block["number"])
        return SubscriptionView(
            **_view(network, w3, manager, block).model_dump(), subscription=_subscription_out(found, due)
        )
