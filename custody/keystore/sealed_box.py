"""Short secrets sealed at rest in database rows with AES-256-GCM, under a key read from a file: one box for
every store that keeps such secrets (webhook signing secrets, TOTP secrets), each with its own HKDF salt.

The key file holds a 32-byte KEK as 64 hex digits (or base64, as `Kek.parse` reads it), mode 0600; only its
path is configured, so the key never travels in the environment, where child processes and crash reports
would see it. The AES key is `Kek.derive(salt)`: a KEK that serves several stores still shares no AES key
between them. A sealed value is a 12-byte random nonce, then the ciphertext and its tag; the associated data
names the row it is stored in, so a sealed value copied to another row fails to open.
"""

import os
import secrets
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from custody.errors import InvalidKek
from custody.keystore.unlock import KEY_BYTES, Kek

NONCE_BYTES: Final = 12


class SealingError(ValueError):
    """A key file missing or malformed, or a sealed value that does not open under the key (the message names
    the file or the row, never a key or a secret)."""


def read_key_file(path: Path, what: str) -> Kek:
    """The KEK in `path`, the key file of `what` ("webhook", "factor"); `SealingError` naming the path."""
    try:
        text = path.read_text()
    except OSError as error:
        raise SealingError(f"cannot read the {what} key file {path}: {error.strerror}") from None
    try:
        return Kek.parse(text)
    except InvalidKek:
        raise SealingError(f"the {what} key file {path} must hold 64 hex digits (or base64)") from None


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


class SealedBox:
    """Seals and opens bytes with AES-256-GCM under the key `kek` gives for `salt` (a store's own salt)."""

    def __init__(self, kek: Kek, salt: bytes) -> None:
        self._aead = AESGCM(kek.derive(salt))

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
