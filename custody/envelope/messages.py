"""The ceremony messages a coordinator relays: where each belongs (`Binding`, encoded canonically behind a
protocol label), a signed broadcast (`SignedBroadcast`) and a message sealed for one recipient
(`SealedMessage`), with their JSON as the coordinator relays it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

from custody.envelope.identity import PUBLIC_KEY_BYTES
from custody.envelope.wire import hex_field, parsing, require_node_id

SHARE_LABEL: Final = b"TPWallet custody share v1"
BROADCAST_LABEL: Final = b"TPWallet custody broadcast v1"
SIGNATURE_BYTES: Final = 64
_TAG_BYTES: Final = 16
_NAME_RE: Final = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
"""A binding's purpose and round."""
_SESSION_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+-]{0,127}")
"""A binding's session id."""


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
        require_node_id(self.sender, "sender")
        if self.recipient is not None:
            require_node_id(self.recipient, "recipient")

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
        with parsing(value, fields) as checked:
            return cls(
                Binding.from_json(checked, sealed=False),
                hex_field(checked, "payload", None),
                hex_field(checked, "signature", SIGNATURE_BYTES),
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
        with parsing(value, fields) as checked:
            ciphertext = hex_field(checked, "ciphertext", None)
            if len(ciphertext) < _TAG_BYTES:
                raise ValueError("the ciphertext is shorter than its authentication tag")
            return cls(
                Binding.from_json(checked, sealed=True),
                hex_field(checked, "ephemeral_public_key", PUBLIC_KEY_BYTES),
                ciphertext,
                hex_field(checked, "signature", SIGNATURE_BYTES),
            )
