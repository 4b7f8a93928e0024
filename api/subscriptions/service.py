"""Subscription plans and subscriptions as the network's SubscriptionManager holds them now (read-only).

Straight from the network's node, nothing cached: a charge changes a subscription at any block. Each answer is
read at one block, named in it (`block_number`, `block_timestamp`); `due` is the contract's own `is_due` at
that block. The manager is the deployments registry's `SubscriptionManager`; a registry written for another
chain id is refused (`RegistryMismatch`) rather than used to name a stranger's contract.
"""

from api.errors import NotFound, RegistryMismatch
from api.pagination import Listing, key_part
from api.rpc import ChainClients, LatestRead, read_latest, rpc_failures_as_unavailable
from api.settings import ApiSettings, Network
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


def _latest(
    settings: ApiSettings, chains: ChainClients, network: Network
) -> tuple[LatestRead, SubscriptionManager]:
    read = read_latest(settings, chains, network, MANAGER_NAME, SubscriptionsNotDeployed)
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


def plans(
    settings: ApiSettings, chains: ChainClients, network: Network, cursor: str | None, limit: int
) -> PlanList:
    """A page of `network`'s manager's plans after the cursor's, by id, as of the latest block."""
    filters = {"network": network}
    after = PLANS.decode(cursor, filters)
    read, manager = _latest(settings, chains, network)
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


def plan(settings: ApiSettings, chains: ChainClients, network: Network, plan_id: int) -> PlanView:
    """Plan `plan_id` of `network`'s manager as of the latest block; `PlanNotFound` if there is none."""
    read, manager = _latest(settings, chains, network)
    with rpc_failures_as_unavailable(network):
        try:
            found = manager.plan(plan_id, block=read.block_number)
        except UnknownPlan:
            raise PlanNotFound(f"the {network} manager {manager.address} has no plan {plan_id}") from None
    return PlanView(
        **read.where(), manager=manager.address, plan=PlanOut.model_validate(found, from_attributes=True)
    )


def subscription(
    settings: ApiSettings, chains: ChainClients, network: Network, subscription_id: int
) -> SubscriptionView:
    """Subscription `subscription_id` as of the latest block; `SubscriptionNotFound` if there is none."""
    read, manager = _latest(settings, chains, network)
    with rpc_failures_as_unavailable(network):
        try:
            found = manager.subscription(subscription_id, block=read.block_number)
        except UnknownSubscription:
            raise SubscriptionNotFound(
                f"the {network} manager {manager.address} has no subscription {subscription_id}"
            ) from None
        due = manager.is_due(subscription_id, block=read.block_number)
    return SubscriptionView(
        **read.where(), manager=manager.address, subscription=_subscription_out(found, due)
    )
