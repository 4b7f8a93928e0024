"""Device public keys: what is accepted (P-256 and Ed25519, nothing else), how it is read, how it verifies.

A key arrives as SPKI PEM (`-----BEGIN PUBLIC KEY-----`) or raw in base64url: 32 bytes are an Ed25519 key,
65 bytes (0x04 || x || y) or 33 bytes (0x02/0x03 || x) a P-256 point. It is stored as its SPKI DER, whatever
form it came in, so one key has one stored form and one `key_sha256` (the uniqueness of bindings).

Signatures are base64url (padding optional). An ECDSA P-256 signature over SHA-256 is raw r || s, 64 bytes
(IEEE P1363, as WebCrypto and JWS ES256 write it; an iOS or Android key's DER signature converts in a few
lines): one fixed length, no DER parsing of attacker input. Low-S is not required: (r, s) and (r, n - s) both
verify, which is harmless here because replays are refused by nonce, never by signature bytes. Ed25519 is
RFC 8032 (pure), 64 bytes.
"""

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Final, Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from risk.devices.errors import InvalidDeviceInput

KeyType = Literal["p256", "ed25519"]
PEM_HEADER: Final = "-----BEGIN PUBLIC KEY-----"
SIGNATURE_BYTES: Final = 64
"""Both kinds: Ed25519's R || S, and P-256's r || s as two 32-byte big-endian integers."""
MAX_KEY_TEXT: Final = 1024
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_RAW_P256_LENGTHS: Final = (33, 65)
_ED25519_BYTES: Final = 32

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


def decode_base64url(text: str, field: str) -> bytes:
    """`text` as base64url (RFC 4648 §5, padding optional); InvalidDeviceInput naming `field` otherwise."""
    if not _BASE64URL.fullmatch(text):
        raise InvalidDeviceInput(f"{field} must be base64url", field=field)
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        raise InvalidDeviceInput(f"{field} must be base64url", field=field) from None


def encode_base64url(data: bytes) -> str:
    """`data` as unpadded base64url, the form every device value travels in."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class DeviceKey:
    """A device's public key: its kind and SPKI DER (how it is stored)."""

    key_type: KeyType
    spki: bytes

    @property
    def key_sha256(self) -> str:
        """SHA-256 of the SPKI DER, hex: the key's id (unique among bindings, signed at registration)."""
        return hashlib.sha256(self.spki).hexdigest()

    @property
    def pem(self) -> str:
        """The key as SPKI PEM, how the API shows it."""
        key = serialization.load_der_public_key(self.spki)
        encoded = key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return encoded.decode()

    def verifies(self, signature: bytes, message: bytes) -> bool:
        """Whether `signature` (64 bytes, see the module) is this key's over `message`."""
        if len(signature) != SIGNATURE_BYTES:
            return False
        key = serialization.load_der_public_key(self.spki)
        try:
            if isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(signature, message)
                return True
            assert isinstance(key, ec.EllipticCurvePublicKey)
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True


def _accepted(key: object, field: str) -> DeviceKey:
    if isinstance(key, ed25519.Ed25519PublicKey):
        key_type: KeyType = "ed25519"
    elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        key_type = "p256"
    else:
        raise InvalidDeviceInput(f"{field} must be a P-256 or Ed25519 public key", field=field)
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return DeviceKey(key_type, spki)


def parse_public_key(text: str, field: str = "public_key") -> DeviceKey:
    """The P-256 or Ed25519 key `text` holds (SPKI PEM, or raw base64url); InvalidDeviceInput naming `field`
    for anything else: another curve, RSA, a point off the curve, garbage."""
    text = text.strip()
    if len(text) > MAX_KEY_TEXT:
        raise InvalidDeviceInput(f"{field} is too long for a P-256 or Ed25519 key", field=field)
    if text.startswith(PEM_HEADER):
        try:
            loaded: object = serialization.load_pem_public_key(text.encode())
        except (ValueError, UnsupportedAlgorithm):
            raise InvalidDeviceInput(f"{field} is not a readable SPKI PEM public key", field=field) from None
        return _accepted(loaded, field)
    raw = decode_base64url(text, field)
    if len(raw) == _ED25519_BYTES:
        return _accepted(ed25519.Ed25519PublicKey.from_public_bytes(raw), field)
    if len(raw) in _RAW_P256_LENGTHS:
        try:
            return _accepted(ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw), field)
        except ValueError:
            raise InvalidDeviceInput(f"{field} is not a point on P-256", field=field) from None
    raise InvalidDeviceInput(
        f"{field} must be SPKI PEM, or raw base64url: 32 bytes (Ed25519) or 33/65 bytes (a P-256 point)",
        field=field,
    )


def load_key(key_type: str, spki: bytes) -> DeviceKey:
    """A stored key back as a `DeviceKey` (its type as stored)."""
    assert key_type in ("p256", "ed25519"), key_type
    return DeviceKey("p256" if key_type == "p256" else "ed25519", spki)
