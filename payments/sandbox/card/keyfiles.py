"""The processor's secret files: read, or created with fresh random contents and mode 0600 when absent.

A file created here is written under a temporary name and renamed, so a reader never sees half of it, and
is never readable by others. Nothing here logs or returns a secret in an error.
"""

import os
import secrets
from pathlib import Path

VAULT_KEY_BYTES = 32


def _create(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    os.replace(partial, path)


def vault_key(path: Path) -> bytes:
    """The vault's AES-256 key: 32 raw bytes."""
    if not path.exists():
        _create(path, secrets.token_bytes(VAULT_KEY_BYTES))
    key = path.read_bytes()
    if len(key) != VAULT_KEY_BYTES:
        raise RuntimeError(f"the vault key file {path} does not hold {VAULT_KEY_BYTES} bytes")
    return key


def text_secret(path: Path, prefix: str) -> str:
    """A text secret (`<prefix><64 hex>` when created here), stripped of surrounding whitespace."""
    if not path.exists():
        _create(path, f"{prefix}{secrets.token_hex(32)}\n".encode())
    secret = path.read_text().strip()
    if not secret:
        raise RuntimeError(f"the secret file {path} is empty")
    return secret
