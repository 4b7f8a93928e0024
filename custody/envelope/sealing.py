"""Signing and verifying broadcasts, sealing a secret for one recipient and opening it (by the recipient, or
by anyone holding the X25519 output it disclosed): the cryptography of `custody.envelope`."""

from __future__ import annotations

from typing import Final

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from custody.envelope.errors import ForgedMessage, MisboundMessage, UndecryptableMessage
from custody.envelope.identity import NodeIdentity, NodePublicKeys, require_public_key
from custody.envelope.messages import BROADCAST_LABEL, SHARE_LABEL, Binding, SealedMessage, SignedBroadcast
from custody.envelope.wire import MAX_PAYLOAD

_AES_KEY_BYTES: Final = 32
_AES_NONCE_BYTES: Final = 12


def sign_broadcast(sender: NodeIdentity, binding: Binding, payload: bytes) -> SignedBroadcast:
    """Sign `payload` as the broadcast `binding` names (its recipient must be None)."""
    if binding.recipient is not None:
        raise ValueError("a broadcast has no recipient")
    if len(payload) > MAX_PAYLOAD:
        raise ValueError("a broadcast payload is at most 1 MiB")
    return SignedBroadcast(binding, payload, sender.signing_key.sign(_broadcast_bytes(binding, payload)))


def verify_broadcast(message: SignedBroadcast, expected: Binding, sender_keys: NodePublicKeys) -> bytes:
    """The payload of `message` if it is bound exactly to `expected` and signed by `sender_keys`."""
    _require_binding(message.binding, expected)
    try:
        sender_keys.verifying_key().verify(
            message.signature, _broadcast_bytes(message.binding, message.payload)
        )
    except InvalidSignature:
        raise ForgedMessage(expected.sender, "the broadcast's signature does not verify") from None
    return message.payload


def seal(sender: NodeIdentity, recipient_x25519: bytes, plaintext: bytes, binding: Binding) -> SealedMessage:
    """Encrypt `plaintext` for the holder of `recipient_x25519`; sign it as `binding` (which names both)."""
    if binding.recipient is None:
        raise ValueError("a sealed message names its recipient")
    require_public_key(recipient_x25519, "the recipient's X25519 key")
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_x25519))
    key, nonce = _derive_key(shared, ephemeral_public, recipient_x25519, binding)
    aad = binding.encode(SHARE_LABEL)
    unsigned = SealedMessage(binding, ephemeral_public, AESGCM(key).encrypt(nonce, plaintext, aad), b"")
    signature = sender.signing_key.sign(unsigned.signed_bytes())
    return SealedMessage(binding, ephemeral_public, unsigned.ciphertext, signature)


def open_sealed(
    recipient: NodeIdentity, message: SealedMessage, expected: Binding, sender_keys: NodePublicKeys
) -> bytes:
    """The plaintext of `message`, if it is bound exactly to `expected`, signed by the sender and decrypts."""
    return open_with_shared_secret(
        message, expected, sender_keys, recipient.public_keys().x25519, shared_secret(recipient, message)
    )


def shared_secret(recipient: NodeIdentity, message: SealedMessage) -> bytes:
    """The X25519 output `message` was sealed under, as its recipient computes it (it opens this message
    only: each message has its own ephemeral key)."""
    try:
        return recipient.exchange(message.ephemeral_public_key)
    except ValueError:
        raise UndecryptableMessage(message.binding.sender, "the ephemeral key is a low-order point") from None


def open_with_shared_secret(
    message: SealedMessage,
    expected: Binding,
    sender_keys: NodePublicKeys,
    recipient_x25519: bytes,
    shared: bytes,
) -> bytes:
    """The plaintext of `message` (bound to `expected`, signed by the sender) under the disclosed X25519
    output `shared`: what anyone holding the roster can check of a recipient's disclosure."""
    _require_binding(message.binding, expected)
    try:
        sender_keys.verifying_key().verify(message.signature, message.signed_bytes())
    except InvalidSignature:
        raise ForgedMessage(expected.sender, "the sealed message's signature does not verify") from None
    key, nonce = _derive_key(shared, message.ephemeral_public_key, recipient_x25519, message.binding)
    try:
        return AESGCM(key).decrypt(nonce, message.ciphertext, message.binding.encode(SHARE_LABEL))
    except InvalidTag:
        raise UndecryptableMessage(expected.sender, "the sealed message does not decrypt") from None


def _derive_key(
    shared_secret: bytes, ephemeral_public: bytes, recipient_public: bytes, binding: Binding
) -> tuple[bytes, bytes]:
    """HKDF-SHA256: salt binds both public keys of the exchange, info binds the message's place."""
    okm = HKDF(
        algorithm=hashes.SHA256(),
        length=_AES_KEY_BYTES + _AES_NONCE_BYTES,
        salt=ephemeral_public + recipient_public,
        info=binding.encode(SHARE_LABEL),
    ).derive(shared_secret)
    return okm[:_AES_KEY_BYTES], okm[_AES_KEY_BYTES:]


def _broadcast_bytes(binding: Binding, payload: bytes) -> bytes:
    return binding.encode(BROADCAST_LABEL) + len(payload).to_bytes(4, "big") + payload


def _require_binding(actual: Binding, expected: Binding) -> None:
    if actual != expected:
        wrong = [
            name
            for name in ("purpose", "session_id", "round", "sender", "recipient")
            if getattr(actual, name) != getattr(expected, name)
        ]
        raise MisboundMessage(expected.sender, f"bound to another {', '.join(wrong)} than expected")
