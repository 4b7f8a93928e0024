"""The response body of `/version`."""

from pydantic import BaseModel, Field

from api.settings import Network
from api.uint256 import ChainId


class VersionInfo(BaseModel):
    """What is running, and which chains it is talking to right now."""

    name: str
    version: str | None = Field(description="Package version; null if neither installed nor in a checkout.")
    git_commit: str | None = Field(description="The source tree's commit; null outside a git checkout.")
    chain_ids: dict[Network, ChainId | None] = Field(
        description="Each network's chain id; null if unreachable."
    )
