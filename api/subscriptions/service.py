"""Subscription plans and subscriptions as the network's SubscriptionManager holds them now (read-only).

Straight from the network's node, nothing cached: a charge changes a subscription at any block. Each answer is
read at one block, named in it (`block_number`, `block_timestamp`); `due` is the contract's own `is_due` at
that block. The manager is the deployments registry's `SubscriptionManager`; a registry written for another
chain id is refused (`RegistryMismatch`) rather than used to name a stranger's contract.
"""

from collections.abc import Callable
from typing import TypeVar

from api.errors import NotFound, RegistryMismatch
from api.pagination import Listing, key_part
from api.rpc import ChainClients, LatestRead, read_latest, rpc_failures_as_unavailable
from api.settings import Network
from api.subscriptions.schemas import (
    PlanList,
    PlanOut,
    PlanView,
    StatusName,
    SubscriptionOut,
    SubscriptionView,
)
from chain.subscriptions import (
    CONTRACT_TYPE,
    Subscription,
    SubscriptionError,
    SubscriptionManager,
    SubscriptionStatus,
    UnknownPlan,
    UnknownSubscription,
)

MANAGER_NAME = CONTRACT_TYPE
PLANS = Listing("subscription-plans", (int,))
_Item = TypeVar("_Item")

STATUS_NAMES: dict[SubscriptionStatus, StatusName] = {
    SubscriptionStatus.ACTIVE: "active",
    SubscriptionStatus.PAST_DUE: "past_due",
    SubscriptionStatus.CANCELLED: "cancelled",
    SubscriptionStatus.LAPSED: "lapsed",
    SubscriptionStatus.COMPLETED: "completed",
}


class SubscriptionsNotDeployed(
    NotFound, problem="subscriptions-not-deployed", title="No subscription manager on this network"
):
    """The network's deployments registry names no SubscriptionManager (or there is no registry yet)."""


class PlanNotFound(NotFound, problem="plan-not-found", title="Plan not found"):
    """The manager has no plan with that id."""


class SubscriptionNotFound(NotFound, problem="subscription-not-found", title="Subscription not found"):
    """The manager has no subscription with that id."""


def _latest(chains: ChainClients, network: Network) -> tuple[LatestRead, SubscriptionManager]:
    read = read_latest(chains, network, MANAGER_NAME, SubscriptionsNotDeployed)
    return read, SubscriptionManager(read.w3, read.address)


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


def plans(chains: ChainClients, network: Network, cursor: str | None, limit: int) -> PlanList:
    """A page of `network`'s manager's plans after the cursor's, by id, as of the latest block."""
    filters = {"network": network}
    after = PLANS.decode(cursor, filters)
    read, manager = _latest(chains, network)
    with rpc_failures_as_unavailable(network):
        try:
            total = manager.plan_count(block=read.block_number)
            offset = 0 if after is None else key_part(after, 0, int)
            fetched = manager.plans(offset=offset, limit=limit + 1, block=read.block_number)
        except SubscriptionError as error:  # the registry's manager does not behave as one
            raise RegistryMismatch(str(error), network=network) from None
    page = PLANS.page(
        [PlanOut.model_validate(found, from_attributes=True) for found in fetched],
        limit,
        lambda plan: (plan.plan_id,),
        cursor=cursor,
        filters=filters,
    )
    return PlanList(**read.where(), manager=manager.address, total=total, **dict(page))


def _one(
    read: LatestRead,
    what: str,
    item_id: int,
    lookup: Callable[..., _Item],
    unknown: type[Exception],
    not_found: type[NotFound],
) -> _Item:
    """`lookup(item_id, block=...)` at the read's block; `not_found`, naming the manager, if `unknown`."""
    with rpc_failures_as_unavailable(read.network):
        try:
            return lookup(item_id, block=read.block_number)
        except unknown:
            raise not_found(f"the {read.network} manager {read.address} has no {what} {item_id}") from None


def plan(chains: ChainClients, network: Network, plan_id: int) -> PlanView:
    """Plan `plan_id` of `network`'s manager as of the latest block; `PlanNotFound` if there is none."""
    read, manager = _latest(chains, network)
    found = _one(read, "plan", plan_id, manager.plan, UnknownPlan, PlanNotFound)
    return PlanView(
        **read.where(), manager=manager.address, plan=PlanOut.model_validate(found, from_attributes=True)
    )


def subscription(chains: ChainClients, network: Network, subscription_id: int) -> SubscriptionView:
    """Subscription `subscription_id` as of the latest block; `SubscriptionNotFound` if there is none."""
    read, manager = _latest(chains, network)
    found = _one(
        read, "subscription", subscription_id, manager.subscription, UnknownSubscription, SubscriptionNotFound
    )
    with rpc_failures_as_unavailable(network):
        due = manager.is_due(subscription_id, block=read.block_number)
    return SubscriptionView(
        **read.where(), manager=manager.address, subscription=_subscription_out(found, due)
    )
