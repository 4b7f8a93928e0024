"""A node's signed state statement: "node i's state counter is k", and how anyone checks one.

A node answers every signature share with one (`custody.protocol.signing.StateStatement`), signed with its
Ed25519 identity key; the coordinator keeps the latest of each node and shows it back in every round one,
which is how a node whose state database was restored from a backup finds out (`custody.node.records.
state_guard`). ``STATE_LABEL`` separates these signatures from every other use of the identity key.
"""

from typing import Final

from cryptography.exceptions import InvalidSignature

from custody.envelope import NodeIdentity, NodePublicKeys
from custody.protocol.signing import StateStatement

STATE_LABEL: Final = b"TPWallet custody state counter v1"


def statement_bytes(node_id: int, counter: int) -> bytes:
    """What a node signs to state its counter: the label, its node id and the counter, fixed width."""
    return STATE_LABEL + node_id.to_bytes(2, "big") + counter.to_bytes(8, "big")


def sign_statement(identity: NodeIdentity, node_id: int, counter: int) -> StateStatement:
    """Node `node_id`'s statement that its counter is `counter`, signed with its identity key."""
    signature = identity.signing_key.sign(statement_bytes(node_id, counter))
    return StateStatement(node_id=node_id, counter=counter, signature=signature.hex())


def statement_verifies(statement: StateStatement, keys: NodePublicKeys) -> bool:
    """Whether `statement` is signed by the node whose public keys are `keys`."""
    try:
        keys.verifying_key().verify(
            bytes.fromhex(statement.signature), statement_bytes(statement.node_id, statement.counter)
        )
    except InvalidSignature:
        return False
    return True
