"""The customer's phone in the demo: an Ed25519 key made on the device, bound to the customer through
`/v1/devices` (a proof of possession over a single-use challenge), and the `TPW-Device-*` headers it signs
a payment's confirm request with, which the merchant forwards (docs/risk.md, "Devices" and "Decisions,
step-up and review"). The key never leaves this object; the strings signed are the API's canonical ones
(`risk.devices.canonical`)."""

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from risk.devices.canonical import (
    DEVICE_ID_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    registration_signing_input,
    request_signing_input,
)
from risk.devices.keys import encode_base64url, parse_public_key


class SignedInCustomer(Protocol):
    """What a device needs of its owner's wallet app: the subject and session-authenticated POSTs."""

    subject_id: str

    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]: ...


@dataclass
class DemoDevice:
    """A device key pair; `device_id` once `register`ed."""

    name: str
    key: ed25519.Ed25519PrivateKey = field(default_factory=ed25519.Ed25519PrivateKey.generate, repr=False)
    device_id: str = ""

    def register(self, owner: SignedInCustomer) -> str:
        """Bind this device to `owner`: sign the server's challenge with the key, then register the key."""
        public_pem = (
            self.key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        issued = owner.post("/v1/devices/challenges", {})
        signed = registration_signing_input(
            issued["id"], issued["challenge"], owner.subject_id, parse_public_key(public_pem).key_sha256
        )
        registered = owner.post(
            "/v1/devices",
            {
                "challenge_id": issued["id"],
                "name": self.name,
                "platform": "ios",
                "public_key": public_pem,
                "signature": encode_base64url(self.key.sign(signed)),
            },
        )
        self.device_id = registered["id"]
        return self.device_id

    def signed_headers(self, method: str, path: str, payload: dict[str, Any]) -> dict[str, str]:
        """The headers of `method` `path` with the JSON body `payload` (serialized as the request sends it),
        signed now with a fresh nonce."""
        timestamp, nonce = int(time.time()), encode_base64url(secrets.token_bytes(16))
        body = json.dumps(payload).encode()
        signed = request_signing_input(method, path, body, timestamp, nonce, self.device_id)
        return {
            DEVICE_ID_HEADER: self.device_id,
            TIMESTAMP_HEADER: str(timestamp),
            NONCE_HEADER: nonce,
            SIGNATURE_HEADER: encode_base64url(self.key.sign(signed)),
        }
