"""A device's side of device binding, as a phone app would do it: hold a key, sign a registration, sign
requests. Real keys and real signatures (the `cryptography` package), so the server's verifier is tested
against what an independent signer produces."""

import secrets
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from risk.devices.canonical import (
    DEVICE_ID_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    registration_signing_input,
    request_signing_input,
)
from risk.devices.keys import encode_base64url, parse_public_key


def new_nonce() -> str:
    """A fresh nonce: 16 random bytes, base64url (22 characters)."""
    return encode_base64url(secrets.token_bytes(16))


@dataclass
class DeviceKeyPair:
    """A device's key pair of `key_type` ("p256" or "ed25519"); `device_id` once registered."""

    key_type: str
    private: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey = field(init=False)
    device_id: str = ""

    def __post_init__(self) -> None:
        self.private = (
            ec.generate_private_key(ec.SECP256R1())
            if self.key_type == "p256"
            else ed25519.Ed25519PrivateKey.generate()
        )

    @property
    def public_pem(self) -> str:
        encoded = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return encoded.decode()

    @property
    def public_raw(self) -> str:
        """Raw base64url: Ed25519's 32 bytes, or P-256's uncompressed point."""
        public = self.private.public_key()
        if isinstance(public, ed25519.Ed25519PublicKey):
            raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        else:
            raw = public.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        return encode_base64url(raw)

    @property
    def key_sha256(self) -> str:
        return parse_public_key(self.public_pem).key_sha256

    def sign(self, message: bytes) -> str:
        """The signature over `message`, base64url: Ed25519, or P-256 ECDSA SHA-256 as raw r || s."""
        if isinstance(self.private, ed25519.Ed25519PrivateKey):
            return encode_base64url(self.private.sign(message))
        r, s = decode_dss_signature(self.private.sign(message, ec.ECDSA(hashes.SHA256())))
        return encode_base64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def sign_registration(self, challenge_id: str, challenge: str, subject_id: str) -> str:
        return self.sign(registration_signing_input(challenge_id, challenge, subject_id, self.key_sha256))

    def signed_headers(
        self, method: str, target: str, body: bytes, timestamp: int, nonce: str | None = None
    ) -> dict[str, str]:
        """The device headers of a request, signed now with `timestamp` (unix seconds) and `nonce`."""
        nonce = nonce or new_nonce()
        signed = request_signing_input(method, target, body, timestamp, nonce, self.device_id)
        return {
            DEVICE_ID_HEADER: self.device_id,
            TIMESTAMP_HEADER: str(timestamp),
            NONCE_HEADER: nonce,
            SIGNATURE_HEADER: self.sign(signed),
        }
