"""`/v1/subscriptions/...`: plans and subscriptions of the network's SubscriptionManager, read from the chain
(read-only, public).

Thin routes over `api.subscriptions.service`. Plans and subscriptions are public on-chain data, so no API
key is needed.
"""

from typing import Annotated, Final

from fastapi import APIRouter, Path

from api.chain_routes import NetworkQuery, read_responses
from api.deps import ChainsDep, SettingsDep
from api.pagination import DEFAULT_LIMIT, LIST_RESPONSES, CursorQuery, LimitQuery
from api.rpc import parse_network
from api.subscriptions import service
from api.subscriptions.schemas import PlanList, PlanView, SubscriptionView
from api.uint256 import Uint256Path

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])

PlanIdPath = Annotated[Uint256Path, Path(description="The plan's id, from 1: decimal digits (a uint256).")]
SubscriptionIdPath = Annotated[
    Uint256Path, Path(description="The subscription's id, from 1: decimal digits (a uint256).")
]
MANAGER: Final = "SubscriptionManager"


@router.get(
    "/plans", summary="Subscription plans, by id", responses={**read_responses(MANAGER), **LIST_RESPONSES}
)
def list_plans(
    settings: SettingsDep,
    chains: ChainsDep,
    network: NetworkQuery = "l1",
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> PlanList:
    """Read at the latest block; `total` says how many plans exist. Pages as every list does: pass
    `next_cursor` as `cursor` while `has_more`."""
    return service.plans(settings, chains, parse_network(network), cursor, limit)


@router.get(
    "/plans/{plan_id}",
    summary="A subscription plan: its terms and whether it is paused",
    responses=read_responses(MANAGER, "plan"),
)
def get_plan(
    plan_id: PlanIdPath, settings: SettingsDep, chains: ChainsDep, network: NetworkQuery = "l1"
) -> PlanView:
    """Read at the latest block."""
    return service.plan(settings, chains, parse_network(network), plan_id)


@router.get(
    "/{subscription_id}",
    summary="A subscription: status, paid-through time, whether it is due",
    responses=read_responses(MANAGER, "subscription"),
)
def get_subscription(
    subscription_id: SubscriptionIdPath,
    settings: SettingsDep,
    chains: ChainsDep,
    network: NetworkQuery = "l1",
) -> SubscriptionView:
    """Read at the latest block; `due` is the contract's own answer for that block's timestamp."""
    return service.subscription(settings, chains, parse_network(network), subscription_id)
