"""The bodies of `/v1/auth/...`. Times are whole seconds since the epoch; tokens appear only in the answers
that issue them."""

from typing import Any

from pydantic import Field

from api.schemas import ApiModel


class NonceOut(ApiModel):
    nonce: str
    """Put it in the EIP-4361 message's `Nonce:` line; it signs in once."""
    expires_at: int


class SiweLogin(ApiModel):
    message: str = Field(min_length=1, max_length=4096)
    """The EIP-4361 message exactly as the wallet signed it."""
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")
    """The address's EIP-191 (personal_sign) signature of `message`, 65 bytes in hex."""


class SessionOut(ApiModel):
    """A session's tokens: send `access_token` as `Authorization: Bearer`, and `refresh_token` to
    `/v1/auth/refresh` for the next pair before `expires_at` (it works once)."""

    subject_id: str
    session_id: str
    token_type: str = "Bearer"  # noqa: S105 - the token type's name, not a secret
    access_token: str
    expires_at: int
    """When `access_token` stops being accepted."""
    refresh_token: str
    session_expires_at: int
    """When the session ends, however often it is refreshed."""


class RefreshIn(ApiModel):
    refresh_token: str = Field(min_length=1, max_length=128)


class SessionInfo(ApiModel):
    subject_id: str
    session_id: str


class CeremonyOut(ApiModel):
    ceremony_id: str
    """Send it back with the authenticator's answer; it works once, until `expires_at`."""
    options: dict[str, Any]
    """The `publicKey` options for `navigator.credentials.create()` / `get()` (binary fields base64url)."""
    expires_at: int


class RegistrationOptionsIn(ApiModel):
    user_name: str = Field(min_length=1, max_length=64)
    """The name the authenticator shows for this passkey's account."""


class CeremonyAnswer(ApiModel):
    ceremony_id: str = Field(min_length=1, max_length=64)
    credential: dict[str, Any]
    """The `PublicKeyCredential` the browser returned, as JSON (`toJSON()`)."""


class PasskeyOut(ApiModel):
    credential_id: str
