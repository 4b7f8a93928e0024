"""A signer node's identity keys in its key store (record ``identity``): written once at setup, then loaded.

The public halves go into the group roster (`custody.roster`), which is how every other node and the
coordinator recognise this node's signed messages and seal shares to it. Losing the record means the node
must be re-enrolled (new keys, new roster); it is sealed at rest like the shares.
"""

from http import HTTPStatus
from typing import Final

from custody.envelope import NodeIdentity
from custody.errors import RecordNotFound
from custody.keystore import KeyStore
from custody.node.errors import NodeError

IDENTITY_RECORD: Final = "identity"


class NodeNotEnrolled(NodeError):
    """The node has no identity record or no usable roster, so it cannot take part in key ceremonies."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
    problem = "node-not-enrolled"
    title = "Node not enrolled in a roster"


def load_identity(store: KeyStore) -> NodeIdentity:
    """The node's identity; NodeNotEnrolled if setup never made one."""
    try:
        return NodeIdentity.from_json(store.get_json(IDENTITY_RECORD))
    except RecordNotFound:
        raise NodeNotEnrolled("this node's key store holds no identity; enrol the node first") from None
