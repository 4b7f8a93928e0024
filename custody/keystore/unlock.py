"""What opens a key store: an operator passphrase (through scrypt, with its cost parameters) or a 32-byte
key-encryption key (KEK, through HKDF-SHA256). Either derives the wrapping key the header's data key is
sealed under (`custody.keystore.header`); neither is ever shown in a repr.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from custody.errors import InvalidKek, KeyStoreCorrupt
from custody.keystore.format import KEK_HKDF_INFO, KEY_BYTES


@dataclass(frozen=True)
class ScryptParams:
    """scrypt cost parameters: memory is about 128·n·r·p bytes, time grows linearly with n·r·p."""

    n: int
    r: int
    p: int

    def is_weak(self) -> bool:
        """Whether these parameters fall below the production minimum `MIN_SCRYPT`."""
        return self.n < MIN_SCRYPT.n or self.r < MIN_SCRYPT.r or self.p < MIN_SCRYPT.p

    def check_sane(self) -> None:
        """Refuse parameters scrypt cannot take, or so large that opening would exhaust memory."""
        if self.n < 2 or self.n & (self.n - 1) or self.n > 2**22:
            raise KeyStoreCorrupt(f"scrypt n={self.n} is not a power of two in [2, 2**22]")
        if not 1 <= self.r <= 32 or not 1 <= self.p <= 16:
            raise KeyStoreCorrupt(f"scrypt r={self.r}, p={self.p} outside r in [1, 32], p in [1, 16]")


MIN_SCRYPT: Final = ScryptParams(n=2**15, r=8, p=1)
DEFAULT_SCRYPT: Final = ScryptParams(n=2**17, r=8, p=1)


MIN_PASSPHRASE_CHARS: Final = 12
"""The shortest passphrase a new store (or a new unlocker) accepts, in code points."""


class Passphrase:
    """An operator passphrase (NFC-normalised, UTF-8); its repr never shows it."""

    __slots__ = ("_secret",)

    def __init__(self, text: str) -> None:
        self._secret = unicodedata.normalize("NFC", text).encode()

    def __repr__(self) -> str:
        return "Passphrase(<redacted>)"

    def char_count(self) -> int:
        """Length in code points, for the minimum-length rule on new passphrases."""
        return len(self._secret.decode())

    def derive(self, salt: bytes, params: ScryptParams) -> bytes:
        """The wrapping key this passphrase gives under `salt` and `params`."""
        return Scrypt(salt=salt, length=KEY_BYTES, n=params.n, r=params.r, p=params.p).derive(self._secret)


KEK_ENV_VAR: Final = "TPW_CUSTODY_KEK"
"""The environment variable `Kek.from_env` reads (a file is better: `custody.node.settings`)."""


class Kek:
    """A 32-byte key-encryption key supplied by the operator (e.g. from a secrets manager)."""

    __slots__ = ("_secret",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise InvalidKek(f"a KEK is {KEY_BYTES} bytes, not {len(key)}")
        self._secret = bytes(key)

    def __repr__(self) -> str:
        return "Kek(<redacted>)"

    @classmethod
    def parse(cls, text: str) -> Kek:
        """Read a KEK written as 64 hex digits or as base64 (standard or URL-safe, padded or not)."""
        text = text.strip()
        if re.fullmatch(r"[0-9A-Fa-f]{64}", text):
            return cls(bytes.fromhex(text))
        standard = text.replace("-", "+").replace("_", "/")
        try:
            key = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != KEY_BYTES:
            raise InvalidKek(f"a KEK is {KEY_BYTES} bytes written as 64 hex digits or as base64")
        return cls(key)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Kek | None:
        """The KEK in ``TPW_CUSTODY_KEK``, or None when the variable is unset or empty."""
        text = (os.environ if environ is None else environ).get(KEK_ENV_VAR, "")
        return cls.parse(text) if text.strip() else None

    def derive(self, salt: bytes) -> bytes:
        """The wrapping key this KEK gives under `salt` (HKDF-SHA256, so one KEK may serve many stores)."""
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=KEK_HKDF_INFO).derive(
            self._secret
        )


Unlocker = Passphrase | Kek
