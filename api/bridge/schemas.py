"""What `/v1/bridge` answers. Hashes are 0x hex; nonces, seqs and amounts (uint256) are decimal strings."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from api.pagination import Page
from api.schemas import ApiModel

Hash = Annotated[str, Field(pattern=r"^0x[0-9a-f]{64}$", description="32 bytes, 0x and hex.")]
MessageId = Annotated[
    str, Field(pattern=r"^bm_[0-9a-f]{32}$", max_length=35, description="A bridge message's id.")
]
TxHash = Annotated[
    str, Field(pattern=r"^0x[0-9a-fA-F]{64}$", max_length=66, description="An L1 transaction hash.")
]
MessageStatus = Literal[
    "seen", "batched", "attested", "claimable", "claimed", "queued", "released", "orphaned"
]


class BridgeBatchOut(ApiModel):
    """A batch of one route's messages and where it stands on the destination bridge."""

    id: str
    object: Literal["bridge_batch"] = "bridge_batch"
    status: Literal["cut", "attested", "delivered", "vetoed"]
    """`vetoed`: the guardian vetoed it on the destination; its messages travel in later batches."""
    src_chain_id: str
    dst_chain_id: str
    src_bridge: str
    dst_bridge: str
    seq: str
    """The batch's seq on the destination bridge."""
    root: Hash
    prev_root: Hash
    count: int
    attest_tx_hash: Hash | None
    challenge_ends_at: datetime | None
    """When its messages become claimable (the destination's clock), once attested."""
    created_at: datetime


class BridgeBatches(Page[BridgeBatchOut]):
    """A page of bridge batches, newest first."""


class BridgeMessageOut(ApiModel):
    """One message across the bridge: a deposit (L1 -> L2) or a withdrawal (L2 -> L1)."""

    id: str
    object: Literal["bridge_message"] = "bridge_message"
    status: MessageStatus
    src_chain_id: str
    dst_chain_id: str
    tx_hash: Hash
    log_index: int
    block_number: str
    nonce: str
    src_token: str
    dst_token: str
    sender: str
    recipient: str
    amount: str
    """Base units of the token, a decimal string."""
    leaf: Hash
    batch_seq: str | None
    challenge_ends_at: datetime | None
    claim_tx_hash: Hash | None


class BridgeMessages(ApiModel):
    """The messages one source transaction sent."""

    object: Literal["list"] = "list"
    data: list[BridgeMessageOut]


class BridgeProofOut(ApiModel):
    """What the destination bridge's `claim(seq, message, proof)` takes for this message."""

    message_id: str
    seq: str
    root: Hash
    leaf: Hash
    proof: list[Hash]
    """Sibling hashes, leaf level first."""
