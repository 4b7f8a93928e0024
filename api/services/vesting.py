"""Vesting grants as the VestingEscrow holds them now: one grant by id, or every grant a beneficiary holds.

Read-only, straight from the network's node (nothing is cached: a claim changes a grant at any block).
Each answer is read at one block, named in it (`block_number`, `block_timestamp`), and the vested and
claimable amounts are computed for that block's timestamp with `chain.vesting`, exactly as the contract
computes them. The escrow is the registry's `VestingEscrow`; a registry written for another chain id is
refused rather than used to name a stranger's contract.

What is uint256 in the escrow (ids, numbers, amounts) and the chain id are decimal strings in the answers
(`api.schemas.Uint256`); the schedule's times and spans are uint64/uint32 there and stay JSON numbers.
"""

from http import HTTPStatus
from typing import Literal

from eth_utils import is_address, is_checksum_address, to_checksum_address
from pydantic import BaseModel, Field
from web3 import Web3

from api.errors import ApiError, NotFound, RegistryMismatch
from api.pagination import Listing, Page, key_part
from api.schemas import ChainId, Uint256
from api.services.rpc import ChainClients, rpc_failures_as_unavailable
from api.settings import ApiSettings, Network
from chain.client import chain_id
from chain.deployments import Deployments
from chain.errors import DeploymentsFileMissing
from chain.vesting import Grant, VestingError, VestingEscrow

ESCROW_NAME = "VestingEscrow"
ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
GRANTS = Listing("beneficiary-grants", (int,))


class VestingNotDeployed(NotFound):
    """The network's deployments registry names no VestingEscrow (or there is no registry yet)."""

    problem = "vesting-not-deployed"
    title = "No vesting escrow on this network"


class GrantNotFound(NotFound):
    """The escrow has no grant with that id."""

    problem = "grant-not-found"
    title = "Grant not found"


class InvalidAddress(ApiError):
    """A mixed-case address whose EIP-55 checksum is wrong: most likely mistyped."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    problem = "invalid-address"
    title = "Invalid address"


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


def checksummed(address: str) -> str:
    """`address` (0x and 40 hex digits) in EIP-55 form; `InvalidAddress` if its mixed case is wrong."""
    digits = address[2:]
    if not is_address(address) or (
        digits not in (digits.lower(), digits.upper()) and not is_checksum_address(address)
    ):
        raise InvalidAddress(
            f"{address} fails its EIP-55 checksum: check it was copied whole", address=address
        )
    return to_checksum_address(address)


def _escrow(settings: ApiSettings, network: Network, w3: Web3) -> VestingEscrow:
    node_chain_id = chain_id(w3)
    try:
        registry = Deployments.load(settings.deployments_network(network), settings.deployments_dir)
    except DeploymentsFileMissing:
        raise VestingNotDeployed(f"nothing is deployed on {network} yet", network=network) from None
    if registry.chain_id != node_chain_id:
        raise RegistryMismatch(
            f"the {network} deployments registry is for chain {registry.chain_id}, "
            f"but the {network} node serves chain {node_chain_id}",
            network=network,
        )
    if ESCROW_NAME not in registry:
        raise VestingNotDeployed(f"no {ESCROW_NAME} is deployed on {network}", network=network)
    entry = registry.get(ESCROW_NAME)
    return VestingEscrow(w3, entry.address, from_block=entry.block_number)


def _view(grant: Grant, timestamp: int) -> VestingGrant:
    schedule = grant.schedule
    vested = grant.vested(timestamp)
    return VestingGrant(
        grant_id=grant.grant_id,
        number=grant.number,
        beneficiary=grant.beneficiary,
        amount=grant.amount,
        claimed=grant.claimed,
        vested=vested,
        claimable=vested - grant.claimed,
        start=schedule.start,
        cliff_end=schedule.cliff_time,
        end=schedule.end,
        kind=schedule.kind,
        period=schedule.period,
        tranches=schedule.tranches,
        revocable=grant.revocable,
        revoked=grant.revoked,
    )


def grant(settings: ApiSettings, chains: ChainClients, network: Network, grant_id: int) -> VestingGrantView:
    """Grant `grant_id` of `network`'s escrow as of the latest block; `GrantNotFound` if there is none."""
    w3 = chains.web3(network)
    with rpc_failures_as_unavailable(network):
        escrow = _escrow(settings, network, w3)
        block = w3.eth.get_block("latest")
        try:
            found = escrow.grant(grant_id, block=block["number"])
        except VestingError as error:  # the registry's VestingEscrow does not behave as one
            raise RegistryMismatch(str(error), network=network) from None
    if found is None:
        raise GrantNotFound(
            f"the {network} escrow {escrow.address} has no grant {grant_id}", grant_id=grant_id
        )
    return VestingGrantView(
        network=network,
        chain_id=int(w3.eth.chain_id),
        escrow=escrow.address,
        block_number=block["number"],
        block_timestamp=block["timestamp"],
        grant=_view(found, block["timestamp"]),
    )


def beneficiary_grants(
    settings: ApiSettings,
    chains: ChainClients,
    network: Network,
    address: str,
    cursor: str | None,
    limit: int,
) -> BeneficiaryGrants:
    """A page of the grants `address` holds on `network`'s escrow as of the latest block, by number."""
    beneficiary = checksummed(address)
    filters = {"network": network, "beneficiary": beneficiary}
    after = GRANTS.decode(cursor, filters)
    w3 = chains.web3(network)
    after_number = -1 if after is None else key_part(after, 0, int)
    with rpc_failures_as_unavailable(network):
        escrow = _escrow(settings, network, w3)
        block = w3.eth.get_block("latest")
        held = [
            found
            for found in escrow.grants_of(beneficiary, block=block["number"])
            if found.number > after_number
        ]
        page = GRANTS.page(
            [_view(found, block["timestamp"]) for found in held[: limit + 1]],
            limit,
            lambda grant: (grant.number,),
            cursor=cursor,
            filters=filters,
        )
        return BeneficiaryGrants(
            network=network,
            chain_id=int(w3.eth.chain_id),
            escrow=escrow.address,
            block_number=block["number"],
            block_timestamp=block["timestamp"],
            beneficiary=beneficiary,
            **dict(page),
        )
