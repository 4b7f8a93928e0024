"""`/v1/subscriptions/...`: plans and subscriptions of the network's SubscriptionManager, read from the chain
(read-only, public).

Thin routes over `api.subscriptions.service`. Plans and subscriptions are public on-chain data, so no API
key is needed.
"""

from typing import Annotated

from fastapi import APIRouter, Path

from api.chain_routes import NetworkQuery, contract_reads
from api.deps import ChainsDep
from api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from api.rpc import parse_network
from api.schemas import Uint256Path
from api.subscriptions import service
from api.subscriptions.schemas import PlanList, PlanView, SubscriptionView

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])

PlanIdPath = Annotated[Uint256Path, Path(description="The plan's id, from 1: decimal digits (a uint256).")]
SubscriptionIdPath = Annotated[
    Uint256Path, Path(description="The subscription's id, from 1: decimal digits (a uint256).")
]
read = contract_reads(router, "SubscriptionManager")


@read("/plans", "Subscription plans, by id", listing=True)
def list_plans(
    chains: ChainsDep,
    network: NetworkQuery = "l1",
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> PlanList:
    """Read at the latest block; `total` says how many plans exist. Pages as every list does: pass
    `next_cursor` as `cursor` while `has_more`."""
    return service.plans(chains, parse_network(network), cursor, limit)


@read("/plans/{plan_id}", "A subscription plan: its terms and whether it is paused", item="plan")
def get_plan(plan_id: PlanIdPath, chains: ChainsDep, network: NetworkQuery = "l1") -> PlanView:
    """Read at the latest block."""
    return service.plan(chains, parse_network(network), plan_id)


@read(
    "/{subscription_id}", "A subscription: status, paid-through time, whether it is due", item="subscription"
)
def get_subscription(
    subscription_id: SubscriptionIdPath,
    chains: ChainsDep,
    network: NetworkQuery = "l1",
) -> SubscriptionView:
    """Read at the latest block; `due` is the contract's own answer for that block's timestamp."""
    return service.subscription(chains, parse_network(network), subscription_id)
