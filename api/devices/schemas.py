"""The bodies of `/v1/devices`. Times are unix seconds; keys and signatures are base64url unless said."""

from typing import Literal

from pydantic import Field

from api.schemas import ApiModel
from risk.devices.keys import MAX_KEY_TEXT
from risk.devices.registry import MAX_NAME_LENGTH, Platform

CHALLENGE_ID_PATTERN = r"^dch_[0-9a-f]{24}$"
DEVICE_ID_PATTERN = r"^dev_[0-9a-f]{24}$"


class ChallengeOut(ApiModel):
    """A registration challenge: the device signs the registration string over it (docs/risk.md) with the
    key it registers, before `expires_at`. Single use."""

    id: str
    object: Literal["device_challenge"] = "device_challenge"
    subject_id: str
    challenge: str
    """32 random bytes, base64url: the third line of the string the device signs."""
    created_at: int
    expires_at: int


class DeviceRegister(ApiModel):
    """A device binding itself to the subject, with proof that it holds the private key."""

    challenge_id: str = Field(pattern=CHALLENGE_ID_PATTERN)
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    """What the subject calls the device ("Alice's iPhone")."""
    platform: Platform
    public_key: str = Field(min_length=1, max_length=MAX_KEY_TEXT)
    """P-256 or Ed25519 only: SPKI PEM, or the raw key in base64url (32 bytes Ed25519; 65 or 33 bytes, an
    uncompressed or compressed P-256 point)."""
    signature: str = Field(min_length=1, max_length=128)
    """The key's signature over the registration string: Ed25519, or ECDSA P-256 SHA-256 as raw r||s (64
    bytes), base64url."""


class DeviceRename(ApiModel):
    """A device's new name."""

    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)


class DeviceOut(ApiModel):
    """A bound device. Revoked devices are listed too; their signatures are refused."""

    id: str
    object: Literal["device"] = "device"
    subject_id: str
    name: str
    platform: str
    key_type: Literal["p256", "ed25519"]
    public_key: str
    """SPKI PEM, whatever form it was registered in."""
    key_sha256: str
    """SHA-256 of the key's SPKI DER, hex."""
    status: Literal["active", "revoked"]
    created_at: int
    last_used_at: int | None
    """When a request it signed was last accepted."""
    revoked_at: int | None


class DeviceList(ApiModel):
    """The subject's devices, oldest first (at most 20 active ones, and the revoked)."""

    object: Literal["list"] = "list"
    data: list[DeviceOut]
