"""`/version`: which build is running and which chains it talks to."""

from fastapi import APIRouter

from api.deps import BuildInfoDep, ChainsDep
from api.errors import ChainUnavailable
from api.rpc import NETWORKS, ChainClients
from api.settings import Network
from api.version.schemas import VersionInfo

router = APIRouter(tags=["operations"])


def _chain_id_or_none(chains: ChainClients, network: Network) -> int | None:
    try:
        return chains.chain_id(network)
    except ChainUnavailable:
        return None


@router.get("/version", summary="Package version, git commit and chain ids")
def version(build_info: BuildInfoDep, chains: ChainsDep) -> VersionInfo:
    """Chain ids are asked of the nodes on each call; an unreachable node shows as null, not as an error."""
    return VersionInfo(
        name=build_info.name,
        version=build_info.version,
        git_commit=build_info.git_commit,
        chain_ids={network: _chain_id_or_none(chains, network) for network in NETWORKS},
    )
