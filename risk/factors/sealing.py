"""TOTP secrets sealed at rest: `custody.keystore.sealed_box` under the factors' own HKDF salt, the key file
named by `TPW_FACTOR_KEY_PATH`, the associated data naming the subject's row (a sealed secret copied to
another subject's row fails to open)."""

from pathlib import Path
from typing import Final

from custody.keystore.sealed_box import SealedBox, SealingError, read_key_file
from custody.keystore.unlock import Kek

HKDF_SALT: Final = b"tpwallet/risk-factor-secrets/v1"

__all__ = ["HKDF_SALT", "SealingError", "SecretBox"]


class SecretBox(SealedBox):
    """The factors' box: bytes in, bytes out."""

    def __init__(self, kek: Kek) -> None:
        super().__init__(kek, HKDF_SALT)

    @classmethod
    def from_file(cls, path: Path) -> "SecretBox":
        """The box for the KEK in `path`; `SealingError` naming the path, never the content."""
        return cls(read_key_file(path, "factor"))
