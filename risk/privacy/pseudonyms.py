"""Keyed pseudonyms for analytics: HMAC-SHA256 of the subject id under a key read from a file.

Without the key nobody can tell whose events these are, nor test a guessed subject id against them (a plain
hash of an `idn_…` id could be recomputed by anyone holding the id). Each event carries the `key_id` of the
key that made its pseudonym (the first 16 hex digits of SHA-256 over a domain tag and the key: it names the
key, reveals nothing of it). Rotating is replacing the file: new events get new pseudonyms and the new id;
once the old key is destroyed, the events made under it can no longer be linked to anyone, not even by us.
The key is never in the environment, a log or a `repr`: only its path is a setting.
"""

import hashlib
import hmac
from pathlib import Path
from typing import Final

from custody.keystore.sealed_box import SealingError, read_key_file

KEY_BYTES: Final = 32
DOMAIN: Final = b"TPW-ANALYTICS-PSEUDONYM-v1\x00"
KEY_ID_DOMAIN: Final = b"TPW-ANALYTICS-KEY-ID-v1\x00"
HKDF_SALT: Final = b"tpw-analytics-pseudonym-key-v1"


class PseudonymKeyError(ValueError):
    """The key file is missing or malformed (the message names the path, never the content)."""


class Pseudonymizer:
    """Pseudonyms under one key; `key_id` names it."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise PseudonymKeyError(f"an analytics key is {KEY_BYTES} bytes")
        self._key = key
        self.key_id: Final = hashlib.sha256(KEY_ID_DOMAIN + key).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"Pseudonymizer(key_id={self.key_id!r})"

    @classmethod
    def from_file(cls, path: Path) -> "Pseudonymizer":
        """The pseudonymizer keyed from the key file at `path` (64 hex digits, as every key file the devnet
        writes), through HKDF with a salt of its own, so the file's key is never an HMAC key elsewhere."""
        try:
            kek = read_key_file(path, "analytics")
        except SealingError as error:
            raise PseudonymKeyError(str(error)) from None
        return cls(kek.derive(HKDF_SALT))

    def pseudonym(self, subject_id: str) -> str:
        """HMAC-SHA256 (hex) of the subject id, domain-separated from every other HMAC under any key."""
        return hmac.new(self._key, DOMAIN + subject_id.encode(), hashlib.sha256).hexdigest()
