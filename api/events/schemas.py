"""The response bodies of `/v1/chains/{network}/transactions/{tx_hash}/events`."""

from typing import Any

from pydantic import Field, field_serializer

from api.schemas import ApiModel, ChainId, decimal_strings
from api.settings import Network


class ChainEventOut(ApiModel):
    """One decoded event emitted by a contract we deployed."""

    log_index: int = Field(description="Position of the log in its block.")
    contract: str = Field(description="The contract's name in the deployments registry.")
    contract_type: str = Field(description="The contract type (source file name) whose ABI decoded it.")
    address: str = Field(description="The emitting contract's checksummed address.")
    event: str = Field(description="The event's name in the contract's ABI.")
    args: dict[str, Any] = Field(
        description="Decoded arguments: every integer as a decimal string (this schema cannot name each "
        "argument's ABI type, so integers of every width are spelt alike; a signed one may start with '-'), "
        "bytes as 0x-hex strings, tuples as lists."
    )

    @field_serializer("args")
    def _integers_as_strings(self, args: dict[str, Any]) -> Any:
        return decimal_strings(args)


class TransactionEvents(ApiModel):
    """A mined transaction and the events our contracts emitted in it."""

    network: Network
    chain_id: ChainId
    tx_hash: str
    block_number: int
    block_hash: str
    status: int = Field(
        description="1 if the transaction succeeded, 0 if it reverted (a revert emits no events)."
    )
    final: bool = Field(description="True once the block is `finality_blocks` deep; only then is it cached.")
    events: list[ChainEventOut]
