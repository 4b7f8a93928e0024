"""Access tokens: a small JSON claim set and its HMAC-SHA256, under a key read from a file.

``tpwat_<base64url(claims)>.<base64url(mac)>``; the claims are the subject, the session id, the audience, the
issue time and the expiry (seconds). HMAC rather than Ed25519 because the API both issues and checks them: no
third party verifies a session token, so a public key would buy nothing, and a MAC is faster on every request.
The prefix differs from an API key's (``tpw_``), and each parser refuses the other's form, so a session token
is never taken for an API key nor an API key for a session.

The key file holds 32 bytes as 64 hex digits (mode 0600, its path a setting); the MAC key is derived from it
with HKDF under this module's own label, so a key file shared with another store shares no key with it.
"""

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from risk.identity.errors import SessionRefused

TOKEN_PREFIX: Final = "tpwat_"  # noqa: S105 - the public prefix of an access token, not a secret
KEY_BYTES: Final = 32
HKDF_INFO: Final = b"tpwallet/identity/access-token/v1"
_REFUSED: Final = "the session token is not valid"


class TokenKeyError(ValueError):
    """A token key file that is missing or malformed (named by path, never by content)."""


@dataclass(frozen=True)
class AccessClaims:
    """What an access token says: whose session, which one, for whom, and until when."""

    subject_id: str
    session_id: str
    audience: str
    issued_at: int
    expires_at: int


class TokenSigner:
    """Issues and checks access tokens under one MAC key."""

    def __init__(self, key_material: bytes) -> None:
        if len(key_material) != KEY_BYTES:
            raise TokenKeyError(f"a token key is {KEY_BYTES} bytes")
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(key_material)

    @classmethod
    def from_file(cls, path: Path) -> "TokenSigner":
        """The signer for the key in `path` (64 hex digits)."""
        try:
            text = path.read_text().strip()
        except OSError as error:
            raise TokenKeyError(f"cannot read the session key file {path}: {error.strerror}") from None
        try:
            return cls(bytes.fromhex(text))
        except (ValueError, TokenKeyError):
            raise TokenKeyError(f"the session key file {path} must hold {2 * KEY_BYTES} hex digits") from None

    def issue(self, claims: AccessClaims) -> str:
        """The token carrying `claims`."""
        body = json.dumps(
            {
                "sub": claims.subject_id,
                "sid": claims.session_id,
                "aud": claims.audience,
                "iat": claims.issued_at,
                "exp": claims.expires_at,
            },
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        encoded = _b64(body)
        return f"{TOKEN_PREFIX}{encoded}.{_b64(self._mac(encoded))}"

    def verify(self, token: str, *, audience: str, now: int) -> AccessClaims:
        """The claims of `token` if its MAC holds, it is for `audience` and not expired; `SessionRefused`
        otherwise (one message whatever failed). Revocation is the caller's check
        (`sessions.authenticate`)."""
        if not token.startswith(TOKEN_PREFIX) or token.count(".") != 1:
            raise SessionRefused(_REFUSED)
        encoded, mac = token[len(TOKEN_PREFIX) :].split(".")
        try:
            given = _unb64(mac)
            payload = json.loads(_unb64(encoded))
        except (ValueError, binascii.Error):
            raise SessionRefused(_REFUSED) from None
        if not hmac.compare_digest(given, self._mac(encoded)):
            raise SessionRefused(_REFUSED)
        try:
            claims = AccessClaims(
                str(payload["sub"]),
                str(payload["sid"]),
                str(payload["aud"]),
                int(payload["iat"]),
                int(payload["exp"]),
            )
        except (KeyError, TypeError, ValueError):
            raise SessionRefused(_REFUSED) from None
        if claims.audience != audience or now >= claims.expires_at:
            raise SessionRefused(_REFUSED)
        return claims

    def _mac(self, encoded: str) -> bytes:
        return hmac.new(self._key, encoded.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
