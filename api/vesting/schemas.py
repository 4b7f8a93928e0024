"""The response bodies of `/v1/vesting/...`: grants as read at one block.

What is uint256 in the escrow (ids, numbers, amounts) and the chain id are decimal strings
(`api.schemas.Uint256`); the schedule's times and spans are uint64/uint32 there and stay JSON numbers.
"""

from typing import Literal

from api.pagination import Page
from api.schemas import ApiModel, ChainId, Uint256
from api.settings import Network


class VestingGrant(ApiModel):
    """A grant, with what has vested and what can be claimed at the block it was read at."""

    grant_id: Uint256
    """The grant's id (it encodes its number and schedule)."""
    number: Uint256
    """The grant's position in creation order, from 0."""
    beneficiary: str
    """Who may claim it now (checksummed)."""
    amount: Uint256
    """Base units granted; for a revoked grant, what had vested at revocation."""
    claimed: Uint256
    """Base units paid out so far."""
    vested: Uint256
    """Base units vested at `block_timestamp`, claimed or not."""
    claimable: Uint256
    """Base units a claim would pay at `block_timestamp`."""
    start: int
    """When vesting starts (unix seconds)."""
    cliff_end: int
    """Nothing vests before this moment (unix seconds)."""
    end: int
    """Everything has vested from this moment (unix seconds)."""
    kind: Literal["linear", "tranche"]
    period: int
    """Seconds between releases: 1 for linear vesting."""
    tranches: int
    """Number of equal releases (the duration in seconds when linear)."""
    revocable: bool
    revoked: bool


class VestingView(ApiModel):
    """Where and when the grants were read."""

    network: Network
    chain_id: ChainId
    escrow: str
    """The VestingEscrow's address (checksummed)."""
    block_number: int
    block_timestamp: int


class VestingGrantView(VestingView):
    """One grant."""

    grant: VestingGrant


class BeneficiaryGrants(VestingView, Page[VestingGrant]):
    """A page of the grants a beneficiary holds (created for it or handed to it, and not handed on since),
    by grant number (`api.pagination`)."""

    beneficiary: str
