"""The devices routes' work on `risk.devices`, and its refusals as problem documents.

Each write runs on the request's session and commits once, with the hook the route gives it (`record`,
`Progress.finish`) called just before the commit: the change and the POST's stored answer commit together.
"""

from collections.abc import Callable
from typing import Final

from sqlalchemy.orm import Session

from api.devices.schemas import ChallengeOut, DeviceList, DeviceOut, DeviceRegister
from api.errors import ApiError, InvalidRequest, NotFound
from api.subject import Subject
from risk.devices import errors, registration, registry
from risk.devices.registry import Device

Record = Callable[[ChallengeOut | DeviceOut], None]


class DeviceNotFound(NotFound, problem="device-not-found", title="Device not found"):
    """No device of this id belongs to the subject (another subject's device is not found either)."""


class DeviceRegistrationRefused(
    ApiError, status=422, problem="device-registration-refused", title="Device registration refused"
):
    """The proof of possession failed: the challenge is not open for this subject, or the signature does
    not verify under the key being registered; `errors` names which."""


class DeviceConflict(ApiError, status=409, problem="device-conflict", title="Device conflict"):
    """The key is bound to a device already, or the subject holds as many active devices as it may."""


class DeviceSignatureRefused(
    ApiError, status=401, problem="device-signature-refused", title="Device signature refused"
):
    """A route that needs a device-signed request got one that proves nothing: `reason` says why (missing,
    stale, unknown-device, revoked, bad-signature, replayed) and `errors` names the header."""


_PROBLEMS: Final[dict[type[errors.DeviceError], type[ApiError]]] = {
    errors.DeviceNotFound: DeviceNotFound,
    errors.RegistrationRefused: DeviceRegistrationRefused,
    errors.DeviceKeyTaken: DeviceConflict,
    errors.TooManyDevices: DeviceConflict,
}
_REASONS: Final[dict[type[errors.SignatureRefused], str]] = {
    errors.SignatureMissing: "missing",
    errors.StaleTimestamp: "stale",
    errors.UnknownDevice: "unknown-device",
    errors.DeviceRevoked: "revoked",
    errors.BadSignature: "bad-signature",
    errors.ReplayedNonce: "replayed",
}
SIGNATURE_CHALLENGE: Final = 'TPW-Device realm="tpwallet"'
"""The `WWW-Authenticate` of a refused device signature (RFC 9110 wants one on every 401)."""


def problem(error: errors.DeviceError) -> ApiError:
    """The problem document `error` is: its class's, naming its field where it has one."""
    named = [{"field": error.field, "message": error.detail}] if error.field else None
    if isinstance(error, errors.SignatureRefused):
        refused = DeviceSignatureRefused(error.detail, errors=named, reason=_REASONS[type(error)])
        refused.headers["WWW-Authenticate"] = SIGNATURE_CHALLENGE
        return refused
    return _PROBLEMS.get(type(error), InvalidRequest)(error.detail, errors=named)


def device_view(device: Device) -> DeviceOut:
    """A device as the API shows it: its key as SPKI PEM."""
    return DeviceOut(
        id=device.id,
        subject_id=device.subject_id,
        name=device.name,
        platform=device.platform,
        key_type=device.key.key_type,
        public_key=device.key.pem,
        key_sha256=device.key.key_sha256,
        status="active" if device.active else "revoked",
        created_at=device.created_at,
        last_used_at=device.last_used_at,
        revoked_at=device.revoked_at,
    )


def issue_challenge(
    session: Session, subject_id: str, ttl_seconds: int, now: int, record: Record
) -> ChallengeOut:
    """A new registration challenge for the subject, stored with the POST's answer."""
    challenge = registration.issue_challenge(session, subject_id, now, ttl_seconds)
    view = ChallengeOut(
        id=challenge.id,
        subject_id=subject_id,
        challenge=challenge.challenge,
        created_at=challenge.created_at,
        expires_at=challenge.expires_at,
    )
    record(view)
    session.commit()
    return view


def register_device(
    session: Session, subject_id: str, body: DeviceRegister, now: int, record: Record
) -> DeviceOut:
    """The subject's new device, its challenge spent, stored with the POST's answer."""
    request = registration.DeviceRegistration(
        body.challenge_id, body.name, body.platform, body.public_key, body.signature
    )
    try:
        view = device_view(registration.register_device(session, subject_id, request, now))
    except errors.DeviceError as error:
        raise problem(error) from None
    record(view)
    session.commit()
    return view


def list_devices(session: Session, subject_id: str) -> DeviceList:
    """Every device of the subject, revoked ones included."""
    return DeviceList(data=[device_view(device) for device in registry.list_devices(session, subject_id)])


def read_device(session: Session, subject_id: str, device_id: str) -> DeviceOut:
    """One device of the subject."""
    try:
        return device_view(registry.get_device(session, subject_id, device_id))
    except errors.DeviceError as error:
        raise problem(error) from None


def rename_device(session: Session, subject_id: str, device_id: str, name: str) -> DeviceOut:
    """The subject's device, renamed."""
    try:
        view = device_view(registry.rename_device(session, subject_id, device_id, name))
    except errors.DeviceError as error:
        raise problem(error) from None
    session.commit()
    return view


def revoke_device(session: Session, subject: Subject, device_id: str, now: int) -> DeviceOut:
    """The subject's device, revoked (again: unchanged), audited naming who did it: the customer's session
    or the operator's key (`actor`)."""
    try:
        view = device_view(
            registry.revoke_device(session, subject.subject_id, device_id, now, actor=subject.actor)
        )
    except errors.DeviceError as error:
        raise problem(error) from None
    session.commit()
    return view
