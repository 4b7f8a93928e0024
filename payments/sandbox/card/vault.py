"""The PAN vault: each card number sealed with AES-256-GCM under the processor's own key.

A sealed PAN is a random 96-bit nonce followed by the ciphertext and its tag; the token id is the associated
data, so a sealed PAN moved to another token's row does not open. Only this module ever sees a PAN and the
key together; the CVC is never given to it (it is checked and forgotten).
"""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class VaultError(Exception):
    """A sealed PAN that does not open under this key and token (tampered, moved, or another key's)."""


class Vault:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, token_id: str, pan: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, pan.encode(), token_id.encode())

    def open(self, token_id: str, sealed: bytes) -> str:
        nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, ciphertext, token_id.encode()).decode()
        except InvalidTag:
            raise VaultError(f"the sealed card of token {token_id} does not open") from None
