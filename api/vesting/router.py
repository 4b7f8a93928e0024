"""`/v1/vesting/...`: vesting grants of the network's VestingEscrow, read from the chain (read-only, public).

Thin routes over `api.vesting.service`. Grants are public on-chain data, so no API key is needed.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.chain_routes import NETWORK_DESCRIPTION, contract_reads
from api.deps import ChainsDep
from api.errors import problem_doc
from api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from api.rpc import parse_network
from api.schemas import Uint256Path
from api.vesting import service
from api.vesting.schemas import BeneficiaryGrants, VestingGrantView

router = APIRouter(prefix="/v1/vesting", tags=["vesting"])
read = contract_reads(router, service.ESCROW_NAME)

NetworkQuery = Annotated[str, Query(description=f"{NETWORK_DESCRIPTION} The escrow lives on l1.")]
GrantIdPath = Annotated[
    Uint256Path, Path(description="The grant's id, a uint256: decimal digits, no sign or leading zeros.")
]
AddressPath = Annotated[
    str,
    Path(
        pattern=service.ADDRESS_PATTERN,
        description="The beneficiary: 0x and 40 hex digits (EIP-55 or one case).",
    ),
]


@read(
    "/grants/{grant_id}",
    "A vesting grant: schedule, amounts, what has vested and what is claimable now",
    item="grant",
)
def get_grant(grant_id: GrantIdPath, chains: ChainsDep, network: NetworkQuery = "l1") -> VestingGrantView:
    """Read at the latest block; `vested` and `claimable` are for that block's timestamp."""
    return service.grant(chains, parse_network(network), grant_id)


@read(
    "/beneficiaries/{address}/grants",
    "The vesting grants an address holds now",
    listing=True,
    also={422: problem_doc("A malformed address, or one whose EIP-55 checksum is wrong.")},
)
def get_beneficiary_grants(
    address: AddressPath,
    chains: ChainsDep,
    network: NetworkQuery = "l1",
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> BeneficiaryGrants:
    """Grants created for the address or handed to it, and not handed on since; oldest first. Pages as
    every list does: pass `next_cursor` as `cursor` while `has_more`."""
    return service.beneficiary_grants(chains, parse_network(network), address, cursor, limit)
