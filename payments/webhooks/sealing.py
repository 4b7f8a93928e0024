"""Endpoint signing secrets sealed at rest with AES-256-GCM (`custody.keystore.sealed_box`), under a key read
from a file.

The key file holds a 32-byte KEK as 64 hex digits (or base64, as `custody.keystore.unlock.Kek` reads it),
mode 0600; the AES key is derived from it with HKDF under this module's own salt. The service reads it from
the path in its settings (`TPW_WEBHOOK_KEY_PATH` names the file; the key itself never travels in the
environment, where child processes and crash reports would see it) and never logs it. In dev the devnet
writes it with `create_key_file` (var/webhooks/secrets.key); in production it is provisioned like any other
key file.

Each sealed secret is a 12-byte random nonce followed by the ciphertext and its tag. The associated data is
the secret's row id, so a sealed value moved to another row (another endpoint's) fails to open instead of
signing for the wrong endpoint.
"""

from pathlib import Path
from typing import Final

from custody.keystore.sealed_box import SealedBox, SealingError, create_key_file, read_key_file
from custody.keystore.unlock import Kek

HKDF_SALT: Final = b"tpwallet/webhook-endpoint-secrets/v1"

__all__ = ["HKDF_SALT", "SealingError", "SecretBox", "create_key_file"]


class SecretBox:
    """The endpoints' box: `custody.keystore.sealed_box` under this store's own salt, for text secrets."""

    def __init__(self, kek: Kek) -> None:
        self._box = SealedBox(kek, HKDF_SALT)

    @classmethod
    def from_file(cls, path: Path) -> "SecretBox":
        """The box for the KEK in `path`; `SealingError` naming the path, never the content."""
        return cls(read_key_file(path, "webhook"))

    def seal(self, plaintext: str, context: str) -> bytes:
        """`plaintext` encrypted and authenticated, bound to `context` (the row id it is stored under)."""
        return self._box.seal(plaintext.encode(), context)

    def open(self, sealed: bytes, context: str) -> str:
        """The plaintext `seal(..., context)` sealed; `SealingError` if altered, moved or keyed else."""
        return self._box.open(sealed, context).decode()
