"""The signing API's JSON bodies: the node validates them, the coordinator sends them.

Identifiers are spelled as `custody.protocol.ids` defines them. Unknown fields are refused.

The intent travels as an `IntentEnvelope`: its EIP-712 primary type and JSON message plus the domain's
chain id and verifying contract. The node decodes it strictly (`chain.intents.decode_intent`) and computes
the digest itself; nobody hands a node a digest to sign.
"""

import hashlib
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from chain.intents import Intent, decode_intent
from custody.frost import SigningCommitments
from custody.protocol.anchor_leaves import AnchorLeaves
from custody.protocol.bridge_messages import BridgeMessages
from custody.protocol.ids import (
    BudgetText,
    KeyId,
    KeyVersion,
    NodeId,
    NodeIdKey,
    PointHex,
    RequestId,
    ScalarHex,
    SessionId,
)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IntentEnvelope(_Body):
    """An intent to sign, as the node receives it: type, message and the domain it is signed in."""

    primary_type: Annotated[str, StringConstraints(max_length=64)]
    message: dict[str, Any]
    chain_id: Annotated[StrictInt, Field(gt=0, lt=1 << 256)]
    verifying_contract: Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$")]

    @classmethod
    def of(cls, intent: Intent, chain_id: int, verifying_contract: str) -> "IntentEnvelope":
        """The envelope of `intent` in the domain (`chain_id`, `verifying_contract`)."""
        return cls(
            primary_type=intent.PRIMARY_TYPE,
            message=intent.to_json(),
            chain_id=chain_id,
            verifying_contract=verifying_contract,
        )

    def intent(self) -> Intent:
        """The typed intent; `chain.intents.IntentError` if the message does not decode strictly."""
        return decode_intent(self.primary_type, self.message)

    def decode(self) -> tuple[Intent, bytes]:
        """The typed intent and its EIP-712 digest in the envelope's domain; IntentError if either fails."""
        intent = self.intent()
        return intent, intent.digest(self.chain_id, self.verifying_contract)

    def fingerprint(self) -> str:
        """SHA-256 of the envelope's JSON as received: equal fingerprints mean the same intent, hence the same
        digest (different fingerprints may still be the same intent spelt otherwise)."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


class Commitment(_Body):
    """One signer's round-one commitments (D_i, E_i)."""

    hiding: PointHex
    binding: PointHex

    @classmethod
    def of(cls, commitments: SigningCommitments) -> "Commitment":
        """The wire form of `commitments`."""
        return cls(hiding=commitments.hiding.to_bytes().hex(), binding=commitments.binding.to_bytes().hex())

    def decode(self) -> SigningCommitments:
        """The commitments; `custody.frost.EncodingError` if a point is not on the curve."""
        return SigningCommitments.from_bytes(bytes.fromhex(self.hiding + self.binding))


class StateStatement(_Body):
    """A node's signed word that its state counter reached `counter` (`custody.protocol.state`): the node
    answers one with every share, the coordinator hands the latest back in round one."""

    node_id: NodeId
    counter: Annotated[StrictInt, Field(ge=0, lt=1 << 63)]
    signature: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{128}$")]


class Round1Request(_Body):
    """Open a signing session: commit to fresh nonces for this key, request and intent. `key_version` names
    the generation of shares the coordinator verifies against; a node holding no share of it refuses. `state`
    is the latest state statement the coordinator holds from this node (how a rolled-back node finds out).
    For an Anchor, `anchor_leaves` optionally carries the batch's leaves, which the node then checks the
    intent against; for a BridgeBatch, `bridge_messages` carries the batch's messages, which the node checks
    the intent against, and against the chains it reads (`custody.protocol.bridge_messages`)."""

    session_id: SessionId
    key_id: KeyId
    key_version: KeyVersion
    request_id: RequestId
    intent: IntentEnvelope
    approvals: list[dict[str, Any]] = Field(default_factory=list, max_length=64)
    state: StateStatement | None = None
    anchor_leaves: AnchorLeaves | None = None
    bridge_messages: BridgeMessages | None = None


class Round1Response(_Body):
    """The node's FROST identifier in the key and its commitments for the session; for a transfer, what is
    left of its rolling budget of the asset (`budget_remaining`, decimal), so the coordinator can pick
    signers that have it."""

    identifier: NodeId
    hiding: PointHex
    binding: PointHex
    budget_remaining: BudgetText | None = None


class Round2Request(_Body):
    """Close a signing session: the same key (and version), request and intent, every signer's commitments,
    approvals."""

    session_id: SessionId
    key_id: KeyId
    key_version: KeyVersion
    request_id: RequestId
    intent: IntentEnvelope
    commitments: Annotated[dict[NodeIdKey, Commitment], Field(min_length=1, max_length=0xFFFF)]
    approvals: list[dict[str, Any]] = Field(default_factory=list, max_length=64)


class Round2Response(_Body):
    """The node's signature share z_i for the session, its budget left after this spend, and its state
    statement after it."""

    identifier: NodeId
    share: ScalarHex
    budget_remaining: BudgetText | None = None
    state: StateStatement | None = None


class HealthResponse(_Body):
    """A live node: its id, and the key ids it holds shares of."""

    status: str
    node_id: NodeId
    keys: list[str]
