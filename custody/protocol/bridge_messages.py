"""A `BridgeBatch` intent checked against its messages: the evidence the coordinator may send with round one.

A BridgeBatch signs a claim — the Merkle root of a batch of bridge messages and their count — that the
destination bridge pays out against. A node that only sees the claim signs whatever root it is given, which
is how a bridge whose relay or coordinator is compromised loses everything it escrows (Ronin, Harmony,
Multichain). So the coordinator sends the batch's messages with round one (`BridgeMessages`, in
`Round1Request.bridge_messages`): each message's own fields, as the contracts' `Message` struct takes them,
the route (both chains, both bridges) being the intent's. The node rebuilds every leaf and the tree itself
(`chain.bridge.batch.Batch`: the contracts' domain-separated leaf and node hashing) and commits to nonces only
if the intent's root and count are the tree's (`check_bridge_messages`); otherwise it refuses
(`BridgeBatchUnwitnessed`), audited, before any nonce exists. What the node can then check on the chains
themselves (that the messages were sent, deep enough, and not yet paid) is `custody.node.chain_witness`'s.
"""

from collections.abc import Sequence
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from chain.bridge.batch import Batch
from chain.bridge.message import BridgeError, Message, Route
from chain.intents import BridgeBatch, Intent
from custody.protocol.errors import BridgeBatchUnwitnessed, MalformedRequest

MAX_MESSAGES: Final = 4096
"""A signing body is at most 1 MiB; this many messages (about 250 bytes each) fit in it."""

Address = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$")]
Amount = Annotated[str, StringConstraints(pattern=r"^(0|[1-9][0-9]{0,77})$")]
"""A uint256 as a decimal string (JSON numbers lose precision beyond 2**53 in most clients)."""


class BridgeMessageFields(BaseModel):
    """One message of the batch: the fields the sending bridge's event carries (the route is the intent's).
    Addresses are EIP-55 checksummed, as the events decode them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nonce: Annotated[StrictInt, Field(ge=1, lt=1 << 64)]
    src_token: Address
    dst_token: Address
    sender: Address
    recipient: Address
    amount: Amount

    @classmethod
    def of(cls, message: Message) -> "BridgeMessageFields":
        """The wire form of `message`."""
        return cls.model_validate(message.fields())

    def message(self, route: Route) -> Message:
        """The message on `route`; BridgeError if a field is out of range or an address not checksummed."""
        return Message(
            route=route,
            nonce=self.nonce,
            src_token=self.src_token,
            dst_token=self.dst_token,
            sender=self.sender,
            recipient=self.recipient,
            amount=int(self.amount),
        )


class BridgeMessages(BaseModel):
    """The messages of the batch a BridgeBatch intent claims, in any order (the tree sorts its leaves)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    messages: Annotated[list[BridgeMessageFields], Field(min_length=1, max_length=MAX_MESSAGES)]

    @classmethod
    def of(cls, messages: Sequence[Message]) -> "BridgeMessages":
        """The evidence of a batch of `messages`."""
        return cls(messages=[BridgeMessageFields.of(message) for message in messages])

    def batch(self, route: Route) -> Batch:
        """The batch these messages make on `route`; MalformedRequest if they make none (a field out of
        range, an address not checksummed, a nonce twice)."""
        try:
            return Batch(route, [fields.message(route) for fields in self.messages])
        except BridgeError as error:
            raise MalformedRequest(f"bridge_messages: {error}") from None


def batch_route(intent: BridgeBatch) -> Route:
    """The route a BridgeBatch intent names; MalformedRequest if it names none (the same bridge twice)."""
    try:
        return Route(intent.src_chain_id, intent.dst_chain_id, intent.src_bridge, intent.dst_bridge)
    except BridgeError as error:
        raise MalformedRequest(f"the BridgeBatch names no route: {error}") from None


def check_bridge_messages(intent: Intent, evidence: BridgeMessages | None, policy_hash: str) -> Batch | None:
    """The batch the messages make when its root and count are the intent's (None when none were sent);
    BridgeBatchUnwitnessed naming what differs, MalformedRequest for messages sent with another intent."""
    if evidence is None:
        return None
    if not isinstance(intent, BridgeBatch):
        raise MalformedRequest(f"bridge_messages were sent with a {intent.PRIMARY_TYPE} intent")
    batch = evidence.batch(batch_route(intent))
    wrong = [
        f"the batch's {name} is {claimed} but its messages make {made}"
        for name, claimed, made in (
            ("root", "0x" + intent.root.hex(), "0x" + batch.root.hex()),
            ("count", intent.count, len(batch.messages)),
        )
        if claimed != made
    ]
    if wrong:
        raise BridgeBatchUnwitnessed(wrong, policy_hash)
    return batch
