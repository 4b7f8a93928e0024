"""`/v1/vesting/...`: vesting grants of the network's VestingEscrow, read from the chain (read-only, public).

Thin routes over `api.vesting.service`. Grants are public on-chain data, so no API key is needed.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.chain_routes import NETWORK_DESCRIPTION, read_responses
from api.deps import ChainsDep, SettingsDep
from api.errors import problem_doc
from api.pagination import DEFAULT_LIMIT, LIST_RESPONSES, CursorQuery, LimitQuery
from api.rpc import parse_network
from api.uint256 import Uint256Path
from api.vesting import service
from api.vesting.schemas import BeneficiaryGrants, VestingGrantView

router = APIRouter(prefix="/v1/vesting", tags=["vesting"])

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


@router.get(
    "/grants/{grant_id}",
    summary="A vesting grant: schedule, amounts, what has vested and what is claimable now",
    responses=read_responses(service.ESCROW_NAME, "grant"),
)
def get_grant(
    grant_id: GrantIdPath, settings: SettingsDep, chains: ChainsDep, network: NetworkQuery = "l1"
) -> VestingGrantView:
    """Read at the latest block; `vested` and `claimable` are for that block's timestamp."""
    return service.grant(settings, chains, parse_network(network), grant_id)


@router.get(
    "/beneficiaries/{address}/grants",
    summary="The vesting grants an address holds now",
    responses={
        **read_responses(service.ESCROW_NAME),
        **LIST_RESPONSES,
        422: problem_doc("A malformed address, or one whose EIP-55 checksum is wrong."),
    },
)
def get_beneficiary_grants(
    address: AddressPath,
    settings: SettingsDep,
    chains: ChainsDep,
    network: NetworkQuery = "l1",
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> BeneficiaryGrants:
    """Grants created for the address or handed to it, and not handed on since; oldest first. Pages as
    every list does: pass `next_cursor` as `cursor` while `has_more`."""
    return service.beneficiary_grants(settings, chains, parse_network(network), address, cursor, limit)
