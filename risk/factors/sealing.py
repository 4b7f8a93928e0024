"""TOTP secrets sealed at rest with AES-256-GCM, under a key read from a file whose path is a setting.

The key file holds a 32-byte KEK as 64 hex digits (or base64, as `custody.keystore.unlock.Kek` reads it),
mode 0600; the AES key is derived from it with HKDF under this module's own salt, so a KEK shared with other
stores (the webhooks' secrets) still shares no AES key with them. Only the path is configured: the key never
travels in the environment, where child processes and crash reports would see it.

A sealed value is a 12-byte random nonce, then the ciphertext and its tag. The associated data names the
row (the subject), so a sealed secret copied to another subject's row fails to open.
"""

import os
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from custody.errors import InvalidKek
from custody.keystore.unlock import Kek

NONCE_BYTES: Final = 12
HKDF_SALT: Final = b"tpwallet/risk-factor-secrets/v1"


class SealingError(ValueError):
    """A key file missing or malformed, or a sealed value that does not open under the key."""


class SecretBox:
    """Seals and opens the factors' secrets with AES-256-GCM under a key derived from a KEK."""

    def __init__(self, kek: Kek) -> None:
        self._aead = AESGCM(kek.derive(HKDF_SALT))

    @classmethod
    def from_file(cls, path: Path) -> "SecretBox":
        """The box for the KEK in `path`; `SealingError` naming the path, never the content."""
        try:
            text = path.read_text()
        except OSError as error:
            raise SealingError(f"cannot read the factor key file {path}: {error.strerror}") from None
        try:
            return cls(Kek.parse(text))
        except InvalidKek:
            raise SealingError(f"the factor key file {path} must hold 64 hex digits (or base64)") from None

    def seal(self, plaintext: bytes, context: str) -> bytes:
        """`plaintext` encrypted and authenticated, bound to `context` (the row it is stored in)."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def open(self, sealed: bytes, context: str) -> bytes:
        """The plaintext `seal(..., context)` sealed; `SealingError` if altered, moved or keyed else."""
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise SealingError(f"the sealed secret of {context} does not open under this key") from None
