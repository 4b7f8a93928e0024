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
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from custody.errors import CustodyError

SHARE_LABEL: Final = b"TPWallet custody share v1"
BROADCAST_LABEL: Final = b"TPWallet custody broadcast v1"
PUBLIC_KEY_BYTES: Final = 32
SIGNATURE_BYTES: Final = 64
MAX_NODE_ID: Final = 0xFFFF
_AES_KEY_BYTES: Final = 32
_AES_NONCE_BYTES: Final = 12
_TAG_BYTES: Final = 16
_MAX_PAYLOAD: Final = 1 << 20
_NAME_RE: Final = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_SESSION_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+-]{0,127}")
_HEX_RE: Final = re.compile(r"(?:[0-9a-f]{2})*")


class EnvelopeError(CustodyError):
    """A relayed message was refused; `culprit` is the node id its binding names as sender (0 if none)."""

    def __init__(self, culprit: int, reason: str) -> None:
        super().__init__(f"message from node {culprit} refused: {reason}")
        self.culprit = culprit
        self.reason = reason


class MalformedMessage(EnvelopeError):
    """A message that is not a well-formed broadcast or sealed message (wrong fields, types or lengths)."""


class MisboundMessage(EnvelopeError):
    """A message bound to another purpose, session, round, sender or recipient than the one expected."""


class ForgedMessage(EnvelopeError):
    """A message whose signature does not verify under its sender's roster key (altered or forged)."""


class UndecryptableMessage(EnvelopeError):
    """A correctly signed sealed message that does not decrypt for its recipient."""


def _require_public_key(data: bytes, what: str) -> bytes:
    if not isinstance(data, bytes) or len(data) != PUBLIC_KEY_BYTES:
        raise ValueError(f"{what} must be {PUBLIC_KEY_BYTES} bytes")
    return data


@dataclass(frozen=True)
class NodePublicKeys:
    """A node's public identity in the roster: Ed25519 (verifies its messages), X25519 (seals to it)."""

    ed25519: bytes
    x25519: bytes

    def __post_init__(self) -> None:
        _require_public_key(self.ed25519, "an Ed25519 public key")
        _require_public_key(self.x25519, "an X25519 public key")

    def verifying_key(self) -> Ed25519PublicKey:
        """The Ed25519 key that checks this node's signatures."""
        return Ed25519PublicKey.from_public_bytes(self.ed25519)


class NodeIdentity:
    """A signer node's private identity keys; kept in its key store as record ``identity``, never printed."""

    __slots__ = ("_exchange_key", "_signing_key")

    def __init__(self, signing_key: Ed25519PrivateKey, exchange_key: X25519PrivateKey) -> None:
        self._signing_key = signing_key
        self._exchange_key = exchange_key

    def __repr__(self) -> str:
        return f"NodeIdentity(ed25519={self.public_keys().ed25519.hex()}, <private keys redacted>)"

    @classmethod
    def generate(cls) -> NodeIdentity:
        """Fresh keys from the operating system's CSPRNG."""
        return cls(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    @property
    def signing_key(self) -> Ed25519PrivateKey:
        """The Ed25519 private key (also signs the node's audit checkpoints)."""
        return self._signing_key

    def public_keys(self) -> NodePublicKeys:
        """The public halves, as they go into the roster."""
        return NodePublicKeys(
            self._signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
            self._exchange_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
        )

    def to_json(self) -> dict[str, str]:
        """The private keys as hex, for the key store only (which seals them at rest)."""
        raw = (Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return {
            "ed25519": self._signing_key.private_bytes(*raw).hex(),
            "x25519": self._exchange_key.private_bytes(*raw).hex(),
        }

    @classmethod
    def from_json(cls, value: Any) -> NodeIdentity:
        """Parse `to_json` output strictly; errors never repeat the key material."""
        if not isinstance(value, dict) or set(value) != {"ed25519", "x25519"}:
            raise ValueError("a node identity record holds exactly 'ed25519' and 'x25519'")
        keys = [_hex_field(value, name, PUBLIC_KEY_BYTES) for name in ("ed25519", "x25519")]
        return cls(
            Ed25519PrivateKey.from_private_bytes(keys[0]), X25519PrivateKey.from_private_bytes(keys[1])
        )

    def exchange(self, peer_public_key: bytes) -> bytes:
        """X25519 with this node's static key; ValueError for a low-order peer key (all-zero secret)."""
        return self._exchange_key.exchange(X25519PublicKey.from_public_bytes(peer_public_key))


@dataclass(frozen=True)
class Binding:
    """Where a message belongs. `recipient` is None for a broadcast, a node id for a sealed message."""

    purpose: str
    session_id: str
    round: str
    sender: int
    recipient: int | None = None

    def __post_init__(self) -> None:
        for name in ("purpose", "round"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _NAME_RE.fullmatch(value):
                raise ValueError(f"the binding's {name} must match {_NAME_RE.pattern}")
        if not isinstance(self.session_id, str) or not _SESSION_RE.fullmatch(self.session_id):
            raise ValueError(f"a session id must match {_SESSION_RE.pattern}")
        _require_node_id(self.sender, "sender")
        if self.recipient is not None:
            _require_node_id(self.recipient, "recipient")

    def encode(self, label: bytes) -> bytes:
        """label || purpose || session id || round (each length-prefixed) || sender || recipient (0 = all)."""
        parts = [label]
        for text in (self.purpose, self.session_id, self.round):
            encoded = text.encode()
            parts += [bytes((len(encoded),)), encoded]
        parts += [self.sender.to_bytes(2, "big"), (self.recipient or 0).to_bytes(2, "big")]
        return b"".join(parts)

    def to_json(self) -> dict[str, Any]:
        """The binding's fields as JSON."""
        value: dict[str, Any] = {
            "purpose": self.purpose,
            "session_id": self.session_id,
            "round": self.round,
            "sender": self.sender,
        }
        if self.recipient is not None:
            value["recipient"] = self.recipient
        return value

    @classmethod
    def from_json(cls, value: dict[str, Any], *, sealed: bool) -> Binding:
        """Read the binding fields out of a message's JSON (a sealed message must name its recipient)."""
        return cls(
            value["purpose"],
            value["session_id"],
            value["round"],
            value["sender"],
            value["recipient"] if sealed else None,
        )


@dataclass(frozen=True)
class SignedBroadcast:
    """A public message every participant may see, signed by its sender's node identity."""

    binding: Binding
    payload: bytes = field(repr=False)
    signature: bytes = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        """The message as the coordinator relays it."""
        return {**self.binding.to_json(), "payload": self.payload.hex(), "signature": self.signature.hex()}

    @classmethod
    def from_json(cls, value: Any) -> SignedBroadcast:
        """Parse strictly: exactly the expected fields, hex of the right sizes, else MalformedMessage."""
        fields = {"purpose", "session_id", "round", "sender", "payload", "signature"}
        with _parsing(value, fields) as checked:
            return cls(
                Binding.from_json(checked, sealed=False),
                _hex_field(checked, "payload", None),
                _hex_field(checked, "signature", SIGNATURE_BYTES),
            )


@dataclass(frozen=True)
class SealedMessage:
    """A secret for exactly one recipient node: encrypted to its X25519 key, signed by the sender."""

    binding: Binding
    ephemeral_public_key: bytes
    ciphertext: bytes = field(repr=False)
    signature: bytes = field(repr=False)

    def signed_bytes(self) -> bytes:
        """What the sender's signature covers: the binding, the ephemeral key and the ciphertext."""
        return b"".join(
            (
                self.binding.encode(SHARE_LABEL),
                self.ephemeral_public_key,
                len(self.ciphertext).to_bytes(4, "big"),
                self.ciphertext,
            )
        )

    def to_json(self) -> dict[str, Any]:
        """The message as the coordinator relays it."""
        return {
            **self.binding.to_json(),
            "ephemeral_public_key": self.ephemeral_public_key.hex(),
            "ciphertext": self.ciphertext.hex(),
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_json(cls, value: Any) -> SealedMessage:
        """Parse strictly: exactly the expected fields, hex of the right sizes, else MalformedMessage."""
        fields = {
            "purpose",
            "session_id",
            "round",
            "sender",
            "recipient",
            "ephemeral_public_key",
            "ciphertext",
            "signature",
        }
        with _parsing(value, fields) as checked:
            ciphertext = _hex_field(checked, "ciphertext", None)
            if len(ciphertext) < _TAG_BYTES:
                raise ValueError("the ciphertext is shorter than its authentication tag")
            return cls(
                Binding.from_json(checked, sealed=True),
                _hex_field(checked, "ephemeral_public_key", PUBLIC_KEY_BYTES),
                ciphertext,
                _hex_field(checked, "signature", SIGNATURE_BYTES),
            )


def sign_broadcast(sender: NodeIdentity, binding: Binding, payload: bytes) -> SignedBroadcast:
    """Sign `payload` as the broadcast `binding` names (its recipient must be None)."""
    if binding.recipient is not None:
        raise ValueError("a broadcast has no recipient")
    if len(payload) > _MAX_PAYLOAD:
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
    _require_public_key(recipient_x25519, "the recipient's X25519 key")
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


def _require_node_id(value: Any, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_NODE_ID:
        raise ValueError(f"the {what} must be a node id in [1, {MAX_NODE_ID}]")


def _hex_field(value: dict[str, Any], name: str, size: int | None) -> bytes:
    text = value.get(name)
    if not isinstance(text, str) or not _HEX_RE.fullmatch(text):
        raise ValueError(f"{name!r} must be lowercase hex")
    data = bytes.fromhex(text)
    if size is not None and len(data) != size:
        raise ValueError(f"{name!r} must be {size} bytes")
    if len(data) > _MAX_PAYLOAD:
        raise ValueError(f"{name!r} is longer than 1 MiB")
    return data


@contextlib.contextmanager
def _parsing(value: Any, fields: set[str]) -> Iterator[dict[str, Any]]:
    """Check a message's JSON has exactly `fields`; turn any error inside into MalformedMessage."""
    if not isinstance(value, dict):
        raise MalformedMessage(0, "a message must be a JSON object")
    sender = value.get("sender")
    if not isinstance(sender, int) or isinstance(sender, bool) or not 1 <= sender <= MAX_NODE_ID:
        sender = 0
    if set(value) != fields:
        raise MalformedMessage(sender, f"a message has exactly the fields {sorted(fields)}")
    try:
        yield value
    except (ValueError, KeyError, TypeError) as error:
        raise MalformedMessage(sender, str(error)) from None
