"""Request and response bodies of the custody routes (they are the OpenAPI schema too).

Requests are strict (unknown fields refused) and validated down to the intent: a sign request's intent is
validated against its type's schema and decoded with `chain.intents` (`api.custody.intents`), and an
approval parsed with `OperatorApproval.from_json`, while the body is validated, so a malformed one is a 422
naming the field before anything is stored or sent. Group elements and scalars leave as 0x-prefixed hex; an
intent's uint256 values as decimal strings. Lists of node ids hold each node once (`uniqueItems`).
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from api.custody.intents import Address, IntentIn, IntentOut
from api.schemas import ApiModel
from custody.policy.approvals import OperatorApproval
from custody.protocol.anchor_leaves import AnchorLeaves
from custody.protocol.bridge_messages import BridgeMessages
from custody.protocol.ids import KeyId, NodeId

SignRequestStatus = Literal["pending", "signed", "refused"]


def _each_once(node_ids: list[int]) -> list[int]:
    if len(set(node_ids)) != len(node_ids):
        raise PydanticCustomError("unique_items", "a node is listed twice")
    return node_ids


NodeIds = Annotated[
    list[NodeId], Field(min_length=2, json_schema_extra={"uniqueItems": True}), AfterValidator(_each_once)
]
"""Two or more roster node ids, each once."""
Hex32 = Annotated[str, Field(description="0x and 64 hex digits.", examples=["0x" + "ab" * 32])]


class _Request(ApiModel):
    model_config = ConfigDict(extra="forbid")


class KeyCreate(_Request):
    """A new group key made by a DKG across the signer nodes."""

    threshold: Annotated[int, Field(ge=2, le=0xFFFF)] | None = None
    """Signers needed (t); default: the API's `custody_threshold` setting."""
    participants: NodeIds | None = None
    """Roster node ids that will hold a share (n of them), each once; default: every node in the roster."""
    key_id: KeyId | None = None
    """The key's name (letters, digits, `._-`); default: a random `key-...`."""


class KeyRefresh(_Request):
    """New shares of the same group key (old shares become useless): after a suspected leak, or to move."""

    participants: NodeIds | None = None
    """Node ids to hold the new shares, each once; default: the current holders."""


class SignRequestCreate(_Request):
    """Sign `intent` (a typed EIP-712 message in its contract's domain) with the group key `key_id`."""

    key_id: KeyId
    intent: IntentIn
    """The intent: its `primary_type` selects the schema of the rest."""
    anchor_leaves: AnchorLeaves | None = Field(
        default=None,
        description=(
            "Only with an `Anchor` intent: the batch's leaves (`plain`: 32-byte leaf hashes; `sum`: "
            "balances of a proof-of-reserves tree). Every signer node rebuilds the tree and refuses (reason "
            "`anchor-leaves-mismatch`) unless the intent's root, count and total are the tree's."
        ),
    )
    bridge_messages: BridgeMessages | None = Field(
        default=None,
        description=(
            "Only with a `BridgeBatch` intent: the batch's messages (each one's nonce, tokens, sender, "
            "recipient and amount; the route is the intent's). Every signer node rebuilds the root and "
            "refuses (reason `bridge-batch-unwitnessed`) unless the intent's root and count are the tree's, "
            "and, where it reads the chains, unless each message was sent on the source bridge deep enough "
            "and is not paid yet, and the seq and prevRoot are the destination's next."
        ),
    )


class ApprovalCreate(_Request):
    """An operator's EIP-712 signature over `SignApproval(intentDigest, requestId)` in the intent's domain."""

    operator: Address = Field(
        description="The operator's EIP-55 checksummed address."
    )  # overrides the type's own
    signature: Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{130}$")]
    """65 bytes r || s || v (v 27 or 28), 0x-prefixed hex."""

    def approval(self) -> OperatorApproval:
        """The approval the nodes take (its checks are the ones these fields passed)."""
        return OperatorApproval(operator=self.operator, signature=bytes.fromhex(self.signature[2:]))


class GroupKeyOut(ApiModel):
    """The group public key: compressed for FROST tools, coordinates for the contracts."""

    compressed: str
    """33-byte SEC1 compressed point, 0x-prefixed hex."""
    x: Hex32
    y: Hex32


class KeyOut(ApiModel):
    """A custody group key as the API knows it (public material only)."""

    key_id: str
    group_public_key: GroupKeyOut
    threshold: int
    """Signers needed (t)."""
    participants: list[int] = Field(json_schema_extra={"uniqueItems": True})
    """Roster node ids holding a share (n of them)."""
    created_at: datetime
    updated_at: datetime
    """When the key was made or its shares last refreshed."""


class KeyCeremonyOut(KeyOut):
    """A key just made or refreshed; `lagging_nodes` hold no (current) share and need a repair."""

    lagging_nodes: list[int] = Field(json_schema_extra={"uniqueItems": True})
    """Nodes that failed the last round while the threshold confirmed; empty when all did."""


class SignatureOut(ApiModel):
    """The group's Schnorr signature (R, z), off-chain and in the form the contracts take."""

    R: str
    """The group commitment, 33-byte compressed point, 0x-prefixed hex."""
    z: Hex32
    rx: Hex32
    ry: Hex32
    serialized: str
    """65 bytes: compressed R then z (RFC 9591), 0x-prefixed hex."""


class ApprovalOut(ApiModel):
    """An operator approval the API stored and forwards to the nodes with every attempt."""

    operator: str
    signature: str
    submitted_by: str
    """The API key id that submitted it."""
    created_at: datetime


class NodeOutcome(ApiModel):
    """What one node did in the last attempt, when it did not sign."""

    kind: str
    """unavailable, refused, misbehaved, invalid-share or suspect."""
    detail: str
    problem_type: str
    """The node's problem type, when it answered with one."""
    reasons: list[str]
    """The node's policy reasons, when its policy refused."""


class SignRequestOut(ApiModel):
    """A sign request and what the signer nodes decided about it so far."""

    id: Hex32 = Field(
        description="The request id operators approve (32 random bytes, chosen by the API)."
    )  # overrides the type's own
    key_id: str
    status: SignRequestStatus = Field(
        description=(
            "`signed`: done, see `signature`. `pending`: not signed yet, for reasons that approvals, time "
            "(a time lock) or live nodes can cure. `refused`: the nodes' policies refuse it outright."
        )
    )
    intent: IntentOut
    digest: Hex32 = Field(
        description="The intent's EIP-712 digest: what the group key signs."
    )  # overrides the type's own
    reasons: list[str]
    """Why it is not signed (the nodes' policy reasons); empty once signed."""
    nodes: dict[str, NodeOutcome]
    """Per node id, what it did in the last attempt if not sign."""
    approvals: list[ApprovalOut]
    signature: SignatureOut | None
    attempts: int
    """Signing attempts made so far."""
    created_by: str
    """The API key id that created it."""
    created_at: datetime
    updated_at: datetime


class AuditRecordOut(ApiModel):
    """One record of the API's hash-chained custody audit log (`custody.audit`), as stored."""

    seq: int
    time: str
    actor: str
    action: str
    subject: str
    details: dict[str, Any] = Field(
        description="As written and hashed: its integers stay as recorded (JSON numbers), as `hash` covers "
        "them."
    )
    prev_hash: str
    hash: str


class SuspectClearedOut(ApiModel):
    """An operator's decision that a node is sound again: the coordinator may choose it to sign again."""

    node_id: int
    was_suspect: bool
    """Whether the coordinator held the node suspect (an invalid share or answer) until now."""
