"""The key-ceremony API's JSON bodies, shared by the node (which validates them) and the coordinator.

Ids are spelled as `custody.protocol.ids` defines them. Relayed messages travel as the JSON objects
`custody.envelope` defines, keyed by the node id of their sender (or, for sealed shares a node sends out,
of their recipient); their content is checked by the node that receives them, against the roster, never by
this schema. Unknown fields are refused.
"""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from custody.protocol.ids import MAX_NODE_ID, KeyId, KeyVersion, NodeId, NodeIdKey, SessionId

Messages = Annotated[dict[NodeIdKey, dict[str, Any]], Field(min_length=1, max_length=MAX_NODE_ID)]
"""Relayed messages by node id."""

NodeIds = Annotated[list[NodeId], Field(min_length=1, max_length=MAX_NODE_ID)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DkgRound1Body(_Body):
    """Start a DKG: a new key id, its threshold and the participating nodes."""

    session_id: SessionId
    key_id: KeyId
    threshold: Annotated[StrictInt, Field(ge=2, le=0xFFFF)]
    participants: NodeIds


class RefreshRound1Body(_Body):
    """Start a refresh of a key among some or all of its holders (the threshold stays the key's), from the
    generation of shares `key_version` names."""

    session_id: SessionId
    key_id: KeyId
    key_version: KeyVersion
    participants: NodeIds


class Round2Body(_Body):
    """Every participant's signed round-1 broadcast."""

    session_id: SessionId
    round1: Messages


class Round3Body(_Body):
    """The round-2 shares sealed to this node, by sender."""

    session_id: SessionId
    round2: Messages


class ConfirmBody(_Body):
    """Every participant's signed confirmation."""

    session_id: SessionId
    confirmations: Messages


class CommitBody(_Body):
    """Make the share a refresh prepared active (the coordinator saw at least the threshold prepare it)."""

    session_id: SessionId
    key_id: KeyId
    key_version: KeyVersion


class SealedShares(_Body):
    """This node's round-2 shares, sealed, by recipient."""

    sealed: dict[NodeIdKey, dict[str, Any]]


class RepairRound1Body(_Body):
    """Ask a helper to start repairing `participant`'s share of a key with `helpers`; the helper's share
    must be of key version `key_version`."""

    session_id: SessionId
    key_id: KeyId
    key_version: KeyVersion
    helpers: NodeIds
    participant: NodeId


class RepairRound1Answer(_Body):
    """A helper's signed repair context and its deltas, sealed, by recipient helper."""

    broadcast: dict[str, Any]
    deltas: dict[NodeIdKey, dict[str, Any]]


class RepairRound2Body(_Body):
    """Every helper's round-1 broadcast and the deltas sealed to this helper."""

    session_id: SessionId
    round1: Messages
    deltas: Messages


class RepairRound2Answer(_Body):
    """A helper's sigma, sealed to the repaired node."""

    sigma: dict[str, Any]


class RepairFinishBody(_Body):
    """Everything the repaired node needs: the helpers' broadcasts and their sigmas sealed to it; the key
    the helpers state must be of key version `key_version`."""

    session_id: SessionId
    key_id: KeyId
    key_version: KeyVersion
    helpers: NodeIds
    participant: NodeId
    round1: Messages
    sigmas: Messages


class AbortBody(_Body):
    """Give up on a ceremony session (after another node failed it)."""

    session_id: SessionId


class AbortAnswer(_Body):
    """Whether the session was still open here and is now aborted."""

    session_id: str
    aborted: bool
