"""The response bodies of `/v1/subscriptions/...`: plans and subscriptions as read at one block.

Every integer of a plan or a subscription is uint256 in the contract, so every one is a decimal string
(`api.schemas.Uint256`), as is the chain id; block numbers and timestamps stay JSON numbers.
"""

from typing import Literal

from api.pagination import Page
from api.schemas import ApiModel, ChainId, Uint256
from api.settings import Network

StatusName = Literal["active", "past_due", "cancelled", "lapsed", "completed"]


class PlanOut(ApiModel):
    """A plan's terms (fixed when it was created) and whether its merchant has paused it."""

    plan_id: Uint256
    merchant: str
    """Who is paid at every charge (checksummed)."""
    token: str
    """The ERC-20 token subscribers pay in (checksummed)."""
    amount: Uint256
    """Base units charged per period."""
    fee_bps: Uint256
    """The protocol fee of this plan, in basis points of `amount`."""
    fee: Uint256
    """Base units of each charge that go to the treasury."""
    merchant_amount: Uint256
    """Base units of each charge the merchant receives."""
    period: Uint256
    """Seconds per period."""
    trial: Uint256
    """Seconds from subscribing to the first charge (0: charged at once)."""
    grace: Uint256
    """Seconds a subscription stays past due after a failed charge."""
    max_periods: Uint256
    """Periods a subscription pays before it completes; 0: no limit."""
    paused: bool
    """A paused plan charges nobody and takes no new subscribers."""


class SubscriptionOut(ApiModel):
    """A subscription's state."""

    subscription_id: Uint256
    subscriber: str
    """Who pays (checksummed)."""
    plan_id: Uint256
    status: StatusName
    paid_through: Uint256
    """End of the last paid period, or of the trial (unix seconds)."""
    periods_paid: Uint256
    grace_ends: Uint256 | None
    """While past due: when the grace period ends (unix seconds)."""
    due: bool
    """Whether a charge at `block_timestamp` would try to collect."""


class ManagerView(ApiModel):
    """Where and when it was read."""

    network: Network
    chain_id: ChainId
    manager: str
    """The SubscriptionManager's address (checksummed)."""
    block_number: int
    block_timestamp: int


class PlanList(ManagerView, Page[PlanOut]):
    """A page of plans, by id (`api.pagination`: plans only ever get new, higher ids)."""

    total: Uint256
    """How many plans exist (ids 1 to `total`)."""


class PlanView(ManagerView):
    plan: PlanOut


class SubscriptionView(ManagerView):
    subscription: SubscriptionOut
