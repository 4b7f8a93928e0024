"""The devices' refusals: each says what was refused and, where the caller's input is at fault, which field.

Plain exceptions (this package knows no HTTP); `api.devices` turns them into problem documents. Nothing here
carries a key, a signature or a challenge in its message.
"""

from risk.errors import RiskError


class DeviceError(RiskError):
    """Root of the devices' refusals; nothing was written when one is raised."""


class InvalidDeviceInput(DeviceError):
    """A name, platform, public key or signature that is not of the accepted shape or kind."""


class RegistrationRefused(DeviceError):
    """The registration's proof of possession failed: an unknown, expired, used or another subject's
    challenge, or a signature that does not verify under the key being registered."""


class DeviceKeyTaken(DeviceError):
    """The public key is bound to a device already (one key, one device, one subject)."""


class TooManyDevices(DeviceError):
    """The subject has as many active devices as it may; revoke one first."""


class DeviceNotFound(DeviceError):
    """No device of this id belongs to this subject (another subject's device is not found either)."""


class SignatureRefused(DeviceError):
    """A signed request that does not prove its device: the subclass says why, `field` names the header."""


class SignatureMissing(SignatureRefused):
    """A device header is missing or malformed."""


class StaleTimestamp(SignatureRefused):
    """The timestamp is further from the server's clock than the tolerance, in the past or the future."""


class UnknownDevice(SignatureRefused):
    """The device id names no device of the requesting subject (unknown, or another subject's)."""


class DeviceRevoked(SignatureRefused):
    """The device was revoked: its key signs nothing any more."""


class BadSignature(SignatureRefused):
    """The signature does not verify over the request's canonical string under the device's key."""


class ReplayedNonce(SignatureRefused):
    """The device used this nonce already within the tolerance window: a replay (or a client bug)."""
