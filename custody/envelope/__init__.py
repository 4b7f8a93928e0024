"""End-to-end protection of key-ceremony messages that a coordinator relays between signer nodes.

In a DKG, refresh or repair the coordinator carries every message but must neither read a secret share nor
forge or redirect any message. Each node therefore has an identity (`NodeIdentity`): an Ed25519 key that
signs what it sends and a static X25519 key that receives sealed shares. Its public halves are in the group
roster, which every node and the coordinator hold.

Every message names where it belongs in a `Binding`: purpose (dkg, refresh, repair), session id, round,
sender and, for a sealed message, recipient. The binding is encoded canonically (length-prefixed, behind a
protocol label) and goes into everything:
  * a broadcast (`SignedBroadcast`) is an Ed25519 signature over label, binding and payload;
  * a sealed message (`SealedMessage`) is an ephemeral X25519 key, ECDH with the recipient's static key,
    HKDF-SHA256 (salt = both public keys, info = the binding) giving an AES-256-GCM key and nonce, the
    ciphertext under AAD = the binding, and the sender's Ed25519 signature over all of it.
A message is only accepted where the receiver expects exactly its binding, so a share sealed for session A
does not open in session B, nor for another recipient, another round, or as coming from another sender; and
a broadcast replayed from another session fails the same way.

A recipient can also disclose what one sealed message said, verifiably, without its static key: the X25519
output of that message (`shared_secret`), from which anyone derives that message's key alone
(`open_with_shared_secret`); the ciphertext authenticates only under the right one, and the sender's
signature shows what the sender sent. That is the evidence of a DKG accusation (`custody.protocol.evidence`).

Errors name the sender of the refused message (`culprit`), never its content. Whoever tampered with it
(the sender itself or the relay) cannot be told apart by the receiver: the coordinator reports the culprit
and the operator decides.

Modules: `identity` (a node's keys), `messages` (bindings and the two message kinds), `sealing` (sign, seal,
open), `wire` (strict JSON reading) and `errors`; their public names are imported from here.
"""

from custody.envelope.errors import (
    EnvelopeError,
    ForgedMessage,
    MalformedMessage,
    MisboundMessage,
    UndecryptableMessage,
)
from custody.envelope.identity import PUBLIC_KEY_BYTES, NodeIdentity, NodePublicKeys
from custody.envelope.messages import (
    BROADCAST_LABEL,
    SHARE_LABEL,
    SIGNATURE_BYTES,
    Binding,
    SealedMessage,
    SignedBroadcast,
)
from custody.envelope.sealing import (
    open_sealed,
    open_with_shared_secret,
    seal,
    shared_secret,
    sign_broadcast,
    verify_broadcast,
)
from custody.envelope.wire import MAX_NODE_ID

__all__ = [
    "BROADCAST_LABEL",
    "MAX_NODE_ID",
    "PUBLIC_KEY_BYTES",
    "SHARE_LABEL",
    "SIGNATURE_BYTES",
    "Binding",
    "EnvelopeError",
    "ForgedMessage",
    "MalformedMessage",
    "MisboundMessage",
    "NodeIdentity",
    "NodePublicKeys",
    "SealedMessage",
    "SignedBroadcast",
    "UndecryptableMessage",
    "open_sealed",
    "open_with_shared_secret",
    "seal",
    "shared_secret",
    "sign_broadcast",
    "verify_broadcast",
]
