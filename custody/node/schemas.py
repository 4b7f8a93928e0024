"""The signing API's JSON bodies: the node validates them, the coordinator sends them.

Identifiers have one spelling each: a session id is 16-64 characters of [A-Za-z0-9_-] starting with a letter
or digit (the coordinator draws 32 random hex digits); a request id is 0x and 64 lowercase hex digits (it
is the ``requestId`` operators sign in their approvals); group elements are 33-byte compressed points and
scalars 32 bytes, both as lowercase hex. Unknown fields are refused.

The intent travels as an `IntentEnvelope`: its EIP-712 primary type and JSON message plus the domain's
chain id and verifying contract. The node decodes it strictly (`chain.intents.decode_intent`) and computes
the digest itself; nobody hands a node a digest to sign.
"""

import hashlib
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from chain.intents import Intent, decode_intent
from custody.frost import SigningCommitments
from custody.node.anchor_leaves import AnchorLeaves

SESSION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{15,63}$"
REQUEST_ID_PATTERN = r"^0x[0-9a-f]{64}$"
KEY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
KEY_VERSION_PATTERN = r"^[0-9a-f]{64}$"

SessionId = Annotated[str, StringConstraints(pattern=SESSION_ID_PATTERN)]
RequestId = Annotated[str, StringConstraints(pattern=REQUEST_ID_PATTERN)]
KeyId = Annotated[str, StringConstraints(pattern=KEY_ID_PATTERN)]
KeyVersion = Annotated[str, StringConstraints(pattern=KEY_VERSION_PATTERN)]
"""A generation of a key's shares: SHA-256 (hex) of its public key package (`keys_shares.key_version`)."""
PointHex = Annotated[str, StringConstraints(pattern=r"^0[23][0-9a-f]{64}$")]
ScalarHex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
NodeId = Annotated[StrictInt, Field(ge=1, le=0xFFFF)]
BudgetText = Annotated[str, StringConstraints(pattern=r"^(0|[1-9][0-9]{0,77})$")]
"""An amount in base units as decimal text (a uint256 does not survive every JSON parser as a number)."""
NodeIdKey = Annotated[int, Field(ge=1, le=0xFFFF)]
"""A node id as a JSON object key: object keys are strings, so this one is parsed from its decimal text."""


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
    """A node's signed word that its state counter reached `counter` (`custody.node.state_guard`): the node
    answers one with every share, the coordinator hands the latest back in round one."""

    node_id: NodeId
    counter: Annotated[StrictInt, Field(ge=0, lt=1 << 63)]
    signature: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{128}$")]


class Round1Request(_Body):
    """Open a signing session: commit to fresh nonces for this key, request and intent. `key_version` names
    the generation of shares the coordinator verifies against; a node holding no share of it refuses. `state`
    is the latest state statement the coordinator holds from this node (how a rolled-back node finds out).
    For an Anchor, `anchor_leaves` optionally carries the batch's leaves, which the node then checks the
    intent against."""

    session_id: SessionId
    key_id: KeyId
    key_version: KeyVersion
    request_id: RequestId
    intent: IntentEnvelope
    approvals: list[dict[str, Any]] = Field(default_factory=list, max_length=64)
    state: StateStatement | None = None
    anchor_leaves: AnchorLeaves | None = None


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
