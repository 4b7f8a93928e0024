"""A signer node's identity: the Ed25519 key that signs what it sends and the static X25519 key that
receives sealed shares (`NodeIdentity`, kept in its key store), and their public halves in the roster
(`NodePublicKeys`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from custody.envelope.wire import hex_field

PUBLIC_KEY_BYTES: Final = 32


def require_public_key(data: bytes, what: str) -> bytes:
    """`data` if it is a 32-byte public key, else ValueError naming `what`."""
    if not isinstance(data, bytes) or len(data) != PUBLIC_KEY_BYTES:
        raise ValueError(f"{what} must be {PUBLIC_KEY_BYTES} bytes")
    return data


@dataclass(frozen=True)
class NodePublicKeys:
    """A node's public identity in the roster: Ed25519 (verifies its messages), X25519 (seals to it)."""

    ed25519: bytes
    x25519: bytes

    def __post_init__(self) -> None:
        require_public_key(self.ed25519, "an Ed25519 public key")
        require_public_key(self.x25519, "an X25519 public key")

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
        keys = [hex_field(value, name, PUBLIC_KEY_BYTES) for name in ("ed25519", "x25519")]
        return cls(
            Ed25519PrivateKey.from_private_bytes(keys[0]), X25519PrivateKey.from_private_bytes(keys[1])
        )

    def exchange(self, peer_public_key: bytes) -> bytes:
        """X25519 with this node's static key; ValueError for a low-order peer key (all-zero secret)."""
        return self._exchange_key.exchange(X25519PublicKey.from_public_bytes(peer_public_key))
