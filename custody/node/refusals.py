"""What the node's storage says, answered as the protocol's refusals.

The key store's records (`custody.node.records`) raise what they hold or miss — no share of a key, none of
the generation asked for, an invalid key id, no identity — in their own terms, with no HTTP status. A node
service that reads them on behalf of a request runs the read inside `refusals()`, so the coordinator gets
the problem it understands (`custody.protocol.errors`), and the service's audit record names it.
"""

import contextlib
from collections.abc import Iterator

from custody.node.records.identity import NoIdentity
from custody.node.records.shares import InvalidKeyId, NoShare
from custody.protocol.errors import KeyVersionMismatch, MalformedRequest, NodeNotEnrolled, UnknownKey


@contextlib.contextmanager
def refusals() -> Iterator[None]:
    """Raise a storage error from inside as the refusal it means to the coordinator."""
    try:
        yield
    except InvalidKeyId as error:
        raise MalformedRequest(str(error)) from None
    except NoShare as error:
        if error.held:
            raise KeyVersionMismatch(error.key_id, error.version, error.held) from None
        raise UnknownKey(str(error)) from None
    except NoIdentity as error:
        raise NodeNotEnrolled(str(error)) from None
