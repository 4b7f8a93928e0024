"""Vesting grants as the VestingEscrow holds them now: one grant by id, or every grant a beneficiary holds.

Read-only, straight from the network's node (nothing is cached: a claim changes a grant at any block).
Each answer is read at one block, named in it (`block_number`, `block_timestamp`), and the vested and
claimable amounts are computed for that block's timestamp with `chain.vesting`, exactly as the contract
computes them. The escrow is the registry's `VestingEscrow`; a registry written for another chain id is
refused rather than used to name a stranger's contract.
"""

from typing import Final

from eth_utils import is_address, is_checksum_address, to_checksum_address

from api.errors import ApiError, NotFound, RegistryMismatch
from api.pagination import Listing, key_part
from api.rpc import ChainClients, LatestRead, read_latest, rpc_failures_as_unavailable
from api.settings import Network
from api.vesting.schemas import BeneficiaryGrants, VestingGrant, VestingGrantView
from chain.vesting import Grant, VestingError, VestingEscrow

ESCROW_NAME = "VestingEscrow"
ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
GRANTS = Listing("beneficiary-grants", (int,))


class VestingNotDeployed(NotFound, problem="vesting-not-deployed", title="No vesting escrow on this network"):
    """The network's deployments registry names no VestingEscrow (or there is no registry yet)."""


class GrantNotFound(NotFound, problem="grant-not-found", title="Grant not found"):
    """The escrow has no grant with that id."""


class InvalidAddress(ApiError, status=422, problem="invalid-address", title="Invalid address"):
    """A mixed-case address whose EIP-55 checksum is wrong: most likely mistyped."""


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


def _latest(chains: ChainClients, network: Network) -> tuple[LatestRead, VestingEscrow]:
    read = read_latest(chains, network, ESCROW_NAME, VestingNotDeployed)
    return read, VestingEscrow(read.w3, read.address, from_block=read.deployed_at)


GRANT_FIELDS: Final = ("grant_id", "number", "beneficiary", "amount", "claimed", "revocable", "revoked")
"""What an answer's grant shows as `chain.vesting.Grant` holds it."""
SCHEDULE_FIELDS: Final = ("start", "end", "kind", "period", "tranches")
"""What it shows of the schedule under the same names (and `cliff_end`: the schedule's `cliff_time`)."""


def _view(grant: Grant, timestamp: int) -> VestingGrant:
    vested = grant.vested(timestamp)
    return VestingGrant(
        **{name: getattr(grant, name) for name in GRANT_FIELDS},
        **{name: getattr(grant.schedule, name) for name in SCHEDULE_FIELDS},
        cliff_end=grant.schedule.cliff_time,
        vested=vested,
        claimable=vested - grant.claimed,
    )


def grant(chains: ChainClients, network: Network, grant_id: int) -> VestingGrantView:
    """Grant `grant_id` of `network`'s escrow as of the latest block; `GrantNotFound` if there is none."""
    read, escrow = _latest(chains, network)
    with rpc_failures_as_unavailable(network):
        try:
            found = escrow.grant(grant_id, block=read.block_number)
        except VestingError as error:  # the registry's VestingEscrow does not behave as one
            raise RegistryMismatch(str(error), network=network) from None
    if found is None:
        raise GrantNotFound(
            f"the {network} escrow {escrow.address} has no grant {grant_id}", grant_id=grant_id
        )
    return VestingGrantView(**read.where(), escrow=escrow.address, grant=_view(found, read.block_timestamp))


def beneficiary_grants(
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
    after_number = -1 if after is None else key_part(after, 0, int)
    read, escrow = _latest(chains, network)
    with rpc_failures_as_unavailable(network):
        held = [
            found
            for found in escrow.grants_of(beneficiary, block=read.block_number)
            if found.number > after_number
        ]
    page = GRANTS.page(
        [_view(found, read.block_timestamp) for found in held[: limit + 1]],
        limit,
        lambda grant: (grant.number,),
        cursor=cursor,
        filters=filters,
    )
    return BeneficiaryGrants(**read.where(), escrow=escrow.address, beneficiary=beneficiary, **dict(page))
