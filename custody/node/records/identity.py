"""A signer node's identity keys in its key store (record ``identity``): written once at setup, then loaded.

The public halves go into the group roster (`custody.roster`), which is how every other node and the
coordinator recognise this node's signed messages and seal shares to it. Losing the record means the node
must be re-enrolled (new keys, new roster); it is sealed at rest like the shares.
"""

from typing import Final

from custody.envelope import NodeIdentity
from custody.errors import CustodyError, RecordNotFound
from custody.keystore import KeyStore

IDENTITY_RECORD: Final = "identity"


class NoIdentity(CustodyError):
    """The key store holds no identity record: the node was never enrolled."""


def load_identity(store: KeyStore) -> NodeIdentity:
    """The node's identity; NoIdentity if setup never made one."""
    try:
        return NodeIdentity.from_json(store.get_json(IDENTITY_RECORD))
    except RecordNotFound:
        raise NoIdentity("this node's key store holds no identity; enrol the node first") from None
