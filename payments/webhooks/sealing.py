"""Endpoint signing secrets sealed at rest with AES-256-GCM, under a key read from a file.

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

import os
import secrets
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from custody.errors import InvalidKek
from custody.keystore.unlock import Kek

KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
HKDF_SALT: Final = b"tpwallet/webhook-endpoint-secrets/v1"


class SealingError(ValueError):
    """A key file that is missing or malformed, or a sealed value that does not open under the key."""


class SecretBox:
    """Seals and opens short secrets with AES-256-GCM under a key derived from a KEK (`Kek.derive`, HKDF
    with this box's own salt: a KEK that serves other stores too still shares no key with them)."""

    def __init__(self, kek: Kek) -> None:
        self._aead = AESGCM(kek.derive(HKDF_SALT))

    @classmethod
    def from_file(cls, path: Path) -> "SecretBox":
        """The box for the KEK in `path`; `SealingError` naming the path, never the content."""
        try:
            text = path.read_text()
        except OSError as error:
            raise SealingError(f"cannot read the webhook key file {path}: {error.strerror}") from None
        try:
            return cls(Kek.parse(text))
        except InvalidKek:
            raise SealingError(f"the webhook key file {path} must hold 64 hex digits (or base64)") from None

    def seal(self, plaintext: str, context: str) -> bytes:
        """`plaintext` encrypted and authenticated, bound to `context` (the row id it is stored under)."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext.encode(), context.encode())

    def open(self, sealed: bytes, context: str) -> str:
        """The plaintext `seal(..., context)` sealed; `SealingError` if altered, moved or keyed else."""
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode()).decode()
        except InvalidTag:
            raise SealingError(f"the sealed secret {context} does not open under this key") from None


def create_key_file(path: Path) -> bool:
    """Write a fresh random key to `path` (mode 0600) unless a file is there; True if it wrote one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    return True
