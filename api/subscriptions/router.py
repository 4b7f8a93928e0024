"""`/v1/subscriptions/...`: plans and subscriptions of the network's SubscriptionManager, read from the chain
(read-only, public).

Thin routes over `api.subscriptions.service`. Plans and subscriptions are public on-chain data, so no API
key is needed.
"""

from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Query

from api.deps import ChainsDep, SettingsDep
from api.errors import problem_doc
from api.pagination import DEFAULT_LIMIT, LIST_RESPONSES, CursorQuery, LimitQuery
from api.rpc import NETWORKS, parse_network
from api.subscriptions import service
from api.uint256 import Uint256Path

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])

NetworkQuery = Annotated[str, Query(description=f"The chain, by role: one of {', '.join(NETWORKS)}.")]
PlanIdPath = Annotated[Uint256Path, Path(description="The plan's id, from 1: decimal digits (a uint256).")]
SubscriptionIdPath = Annotated[
    Uint256Path, Path(description="The subscription's id, from 1: decimal digits (a uint256).")
]


RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    404: problem_doc("Unknown network, or no SubscriptionManager deployed there."),
    422: problem_doc("A malformed path or query value; `errors` names it."),
    503: problem_doc("The network's node did not answer, or the registry is another chain's."),
}


@router.get("/plans", summary="Subscription plans, by id", responses={**RESPONSES, **LIST_RESPONSES})
def list_plans(
    settings: SettingsDep,
    chains: ChainsDep,
    network: NetworkQuery = "l1",
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> service.PlanList:
    """Read at the latest block; `total` says how many plans exist. Pages as every list does: pass
    `next_cursor` as `cursor` while `has_more`."""
    return service.plans(settings, chains, parse_network(network), cursor, limit)


@router.get(
    "/plans/{plan_id}",
    summary="A subscription plan: its terms and whether it is paused",
    responses={
        **RESPONSES,
        404: problem_doc("Unknown network, no SubscriptionManager there, or no such plan."),
    },
)
def get_plan(
    plan_id: PlanIdPath, settings: SettingsDep, chains: ChainsDep, network: NetworkQuery = "l1"
) -> service.PlanView:
    """Read at the latest block."""
    return service.plan(settings, chains, parse_network(network), plan_id)


@router.get(
    "/{subscription_id}",
    summary="A subscription: status, paid-through time, whether it is due",
    responses={
        **RESPONSES,
        404: problem_doc("Unknown network, no SubscriptionManager there, or no such subscription."),
    },
)
def get_subscription(
    subscription_id: SubscriptionIdPath,
    settings: SettingsDep,
    chains: ChainsDep,
    network: NetworkQuery = "l1",
) -> service.SubscriptionView:
    """Read at the latest block; `due` is the contract's own answer for that block's timestamp."""
    return service.subscription(settings, chains, parse_network(network), subscription_id)
