"""A batch of bridge messages: their Merkle tree, the BridgeBatch intent the custody group signs, proofs.

Batches of a route are numbered 1, 2, 3, ... and hash-chained: each names the root of the last batch the
destination did not veto as `prevRoot` (zero for the first), as `chain.anchor` does for settlement anchors.
The destination bridge verifies the custody signature over `BridgeBatch.digest(dst_chain_id, dst_bridge)` and
a claim's proof against the root (`chain.merkle`, which `contracts/modules/merkle.vy` mirrors).
"""

from collections.abc import Sequence

from chain.bridge.message import BridgeError, Message, Route
from chain.intents import BridgeBatch
from chain.merkle import MerkleTree, verify

ZERO_ROOT = bytes(32)
"""`prevRoot` of a route's first batch, and of the next one when every batch so far was vetoed."""
FINGERPRINT_BITS = 40
"""A bridge stores a batch root's top 216 bits, the low 40 zero (`modules/bridge_inbox.vy`)."""


def fingerprint(root: bytes) -> bytes:
    """What a bridge stores of `root`, and compares a batch's `prevRoot` against."""
    value = int.from_bytes(root, "big") >> FINGERPRINT_BITS << FINGERPRINT_BITS
    return value.to_bytes(32, "big")


def batch_intent(route: Route, seq: int, root: bytes, count: int, prev_root: bytes) -> BridgeBatch:
    """The BridgeBatch intent for batch `seq` of `route` with this root and count, after `prev_root`."""
    return BridgeBatch(
        src_chain_id=route.src_chain_id,
        dst_chain_id=route.dst_chain_id,
        src_bridge=route.src_bridge,
        dst_bridge=route.dst_bridge,
        seq=seq,
        root=root,
        count=count,
        prev_root=prev_root,
    )


class Batch:
    """Messages of one route in a Merkle tree over their leaves (sorted, so the root is order-free)."""

    def __init__(self, route: Route, messages: Sequence[Message]) -> None:
        if not messages:
            raise BridgeError("a batch holds at least one message")
        strangers = [message.nonce for message in messages if message.route != route]
        if strangers:
            raise BridgeError(f"messages {strangers} belong to another route")
        nonces = [message.nonce for message in messages]
        if len(set(nonces)) != len(nonces):
            raise BridgeError("a batch holds each nonce once")
        self.route = route
        self.messages = tuple(messages)
        self.tree = MerkleTree(message.leaf() for message in self.messages)

    def message(self, nonce: int) -> Message:
        """The batch's message with this nonce."""
        for message in self.messages:
            if message.nonce == nonce:
                return message
        raise BridgeError(f"the batch holds no message {nonce}")

    @property
    def root(self) -> bytes:
        """The root the custody group signs."""
        return self.tree.root

    def intent(self, seq: int, prev_root: bytes) -> BridgeBatch:
        """The BridgeBatch intent attesting this batch as number `seq`, after the batch whose root is
        `prev_root`."""
        return batch_intent(self.route, seq, self.root, len(self.messages), prev_root)

    def digest(self, seq: int, prev_root: bytes) -> bytes:
        """The digest the custody group signs: the intent under the destination bridge's EIP-712 domain."""
        return self.intent(seq, prev_root).digest(self.route.dst_chain_id, self.route.dst_bridge)

    def proof(self, message: Message) -> list[bytes]:
        """The proof of `message`'s leaf, sibling hashes leaf level first."""
        return self.tree.proof(self.tree.index_of(message.leaf()))


def proves(root: bytes, message: Message, proof: Sequence[bytes]) -> bool:
    """Whether `proof` shows `message` in the batch whose root is `root`."""
    return verify(root, message.leaf(), proof)
