"""`/v1/vesting/...`: vesting grants of the network's VestingEscrow, read from the chain (read-only, public).

Thin routes over `api.vesting.service`. Grants are public on-chain data, so no API key is needed.
"""

from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Query

from api.deps import ChainsDep, SettingsDep
from api.errors import problem_doc
from api.pagination import DEFAULT_LIMIT, LIST_RESPONSES, CursorQuery, LimitQuery
from api.rpc import NETWORKS, parse_network
from api.uint256 import Uint256Path
from api.vesting import service

router = APIRouter(prefix="/v1/vesting", tags=["vesting"])

NetworkQuery = Annotated[
    str, Query(description=f"The chain, by role: one of {', '.join(NETWORKS)}. The escrow lives on l1.")
]
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


RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    404: problem_doc("Unknown network, or no VestingEscrow deployed there."),
    422: problem_doc("A malformed path or query value; `errors` names it."),
    503: problem_doc("The network's node did not answer, or the registry is another chain's."),
}


@router.get(
    "/grants/{grant_id}",
    summary="A vesting grant: schedule, amounts, what has vested and what is claimable now",
    responses={**RESPONSES, 404: problem_doc("Unknown network, no VestingEscrow there, or no such grant.")},
)
def get_grant(
    grant_id: GrantIdPath, settings: SettingsDep, chains: ChainsDep, network: NetworkQuery = "l1"
) -> service.VestingGrantView:
    """Read at the latest block; `vested` and `claimable` are for that block's timestamp."""
    return service.grant(settings, chains, parse_network(network), grant_id)


@router.get(
    "/beneficiaries/{address}/grants",
    summary="The vesting grants an address holds now",
    responses={
        **RESPONSES,
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
) -> service.BeneficiaryGrants:
    """Grants created for the address or handed to it, and not handed on since; oldest first. Pages as
    every list does: pass `next_cursor` as `cursor` while `has_more`."""
    return service.beneficiary_grants(settings, chains, parse_network(network), address, cursor, limit)
