"""The response bodies of `/v1/vesting/...`: grants as read at one block.

What is uint256 in the escrow (ids, numbers, amounts) and the chain id are decimal strings
(`api.uint256.Uint256`); the schedule's times and spans are uint64/uint32 there and stay JSON numbers.
"""

from typing import Literal

from pydantic import BaseModel, Field

from api.pagination import Page
from api.settings import Network
from api.uint256 import ChainId, Uint256


class VestingGrant(BaseModel):
    """A grant, with what has vested and what can be claimed at the block it was read at."""

    grant_id: Uint256 = Field(description="The grant's id (it encodes its number and schedule).")
    number: Uint256 = Field(description="The grant's position in creation order, from 0.")
    beneficiary: str = Field(description="Who may claim it now (checksummed).")
    amount: Uint256 = Field(
        description="Base units granted; for a revoked grant, what had vested at revocation."
    )
    claimed: Uint256 = Field(description="Base units paid out so far.")
    vested: Uint256 = Field(description="Base units vested at `block_timestamp`, claimed or not.")
    claimable: Uint256 = Field(description="Base units a claim would pay at `block_timestamp`.")
    start: int = Field(description="When vesting starts (unix seconds).")
    cliff_end: int = Field(description="Nothing vests before this moment (unix seconds).")
    end: int = Field(description="Everything has vested from this moment (unix seconds).")
    kind: Literal["linear", "tranche"]
    period: int = Field(description="Seconds between releases: 1 for linear vesting.")
    tranches: int = Field(description="Number of equal releases (the duration in seconds when linear).")
    revocable: bool
    revoked: bool


class VestingView(BaseModel):
    """Where and when the grants were read."""

    network: Network
    chain_id: ChainId
    escrow: str = Field(description="The VestingEscrow's address (checksummed).")
    block_number: int
    block_timestamp: int


class VestingGrantView(VestingView):
    """One grant."""

    grant: VestingGrant


class BeneficiaryGrants(VestingView, Page[VestingGrant]):
    """A page of the grants a beneficiary holds (created for it or handed to it, and not handed on since),
    by grant number (`api.pagination`)."""

    beneficiary: str
