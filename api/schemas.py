"""Response bodies of the API's routes, as pydantic models (they are the OpenAPI schema too)."""

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.settings import Network


class Check(BaseModel):
    """The outcome of one health check."""

    status: Literal["ok", "fail"]
    detail: str | None = Field(default=None, description="Why the check failed; never a URL or secret.")
    chain_id: int | None = Field(default=None, description="For a chain check: the id the node reported.")


class HealthReport(BaseModel):
    """Every check passed; a failing check answers 503 `application/problem+json` with the same `checks`."""

    status: Literal["ok"]
    checks: dict[str, Check]


class VersionInfo(BaseModel):
    """What is running, and which chains it is talking to right now."""

    name: str
    version: str | None = Field(description="Package version; null if neither installed nor in a checkout.")
    git_commit: str | None = Field(description="The source tree's commit; null outside a git checkout.")
    chain_ids: dict[Network, int | None] = Field(description="Each network's chain id; null if unreachable.")


class ChainEventOut(BaseModel):
    """One decoded event emitted by a contract we deployed."""

    log_index: int = Field(description="Position of the log in its block.")
    contract: str = Field(description="The contract's name in the deployments registry.")
    contract_type: str = Field(description="The contract type (source file name) whose ABI decoded it.")
    address: str = Field(description="The emitting contract's checksummed address.")
    event: str = Field(description="The event's name in the contract's ABI.")
    args: dict[str, Any] = Field(
        description="Decoded arguments: integers exact (JSON numbers of any size), bytes as 0x-hex strings."
    )


class TransactionEvents(BaseModel):
    """A mined transaction and the events our contracts emitted in it."""

    network: Network
    chain_id: int
    tx_hash: str
    block_number: int
    block_hash: str
    status: int = Field(
        description="1 if the transaction succeeded, 0 if it reverted (a revert emits no events)."
    )
    final: bool = Field(description="True once the block is `finality_blocks` deep; only then is it cached.")
    events: list[ChainEventOut]
