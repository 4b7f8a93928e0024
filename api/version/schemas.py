"""The response body of `/version`."""

from api.schemas import ApiModel, ChainId
from api.settings import Network


class VersionInfo(ApiModel):
    """What is running, and which chains it is talking to right now."""

    name: str
    version: str | None
    """Package version; null if neither installed nor in a checkout."""
    git_commit: str | None
    """The source tree's commit; null outside a git checkout."""
    chain_ids: dict[Network, ChainId | None]
    """Each network's chain id; null if unreachable."""
