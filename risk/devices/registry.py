"""A subject's bound devices: read, listed, renamed, revoked. Registration is `registration`'s.

Every call takes the subject and finds only its devices: another subject's device id is not found, exactly
like an unknown one, so a caller learns nothing about devices that are not its own. Each write is added to the
caller's session; the caller commits. A revocation is audited (`risk.audit`) in that same transaction.
"""

from dataclasses import dataclass
from typing import Final, Literal, get_args

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from risk.audit import append
from risk.devices.errors import DeviceNotFound, InvalidDeviceInput
from risk.devices.keys import DeviceKey, load_key
from risk.devices.schema import devices

Platform = Literal["ios", "android", "web", "macos", "windows", "linux", "other"]
PLATFORMS: Final[tuple[Platform, ...]] = get_args(Platform)
MAX_NAME_LENGTH: Final = 100


@dataclass(frozen=True)
class Device:
    """A bound device as stored; `revoked_at` None while its key may sign."""

    id: str
    subject_id: str
    name: str
    platform: str
    key: DeviceKey
    created_at: int
    last_used_at: int | None
    revoked_at: int | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def device_of(row: Row[tuple[object, ...]]) -> Device:
    """A `devices` row as a `Device`."""
    values = row._mapping
    return Device(
        id=values["id"],
        subject_id=values["subject_id"],
        name=values["name"],
        platform=values["platform"],
        key=load_key(values["key_type"], values["public_key"]),
        created_at=values["created_at"],
        last_used_at=values["last_used_at"],
        revoked_at=values["revoked_at"],
    )


def device_name(name: str) -> str:
    """`name` trimmed; InvalidDeviceInput naming `name` if empty, too long or holding control characters."""
    trimmed = name.strip()
    if not trimmed or len(trimmed) > MAX_NAME_LENGTH or not trimmed.isprintable():
        raise InvalidDeviceInput(f"name must be 1-{MAX_NAME_LENGTH} printable characters", field="name")
    return trimmed


def device_platform(platform: str) -> Platform:
    """`platform` if it is one of `PLATFORMS`; InvalidDeviceInput naming `platform` otherwise."""
    for known in PLATFORMS:
        if platform == known:
            return known
    raise InvalidDeviceInput(f"platform must be one of {', '.join(PLATFORMS)}", field="platform")


def find_device(session: Session, device_id: str) -> Device | None:
    """The device `device_id`, whoever it belongs to (the verifier checks the subject itself)."""
    row = session.execute(select(devices).where(devices.c.id == device_id)).first()
    return None if row is None else device_of(row)


def get_device(session: Session, subject_id: str, device_id: str) -> Device:
    """`subject_id`'s device `device_id`; DeviceNotFound if there is none (or it is another subject's)."""
    device = find_device(session, device_id)
    if device is None or device.subject_id != subject_id:
        raise DeviceNotFound(f"no device {device_id} for this subject", field="device_id")
    return device


def list_devices(session: Session, subject_id: str) -> list[Device]:
    """`subject_id`'s devices, revoked ones included, oldest first."""
    rows = session.execute(
        select(devices).where(devices.c.subject_id == subject_id).order_by(devices.c.created_at, devices.c.id)
    )
    return [device_of(row) for row in rows]


def rename_device(session: Session, subject_id: str, device_id: str, name: str) -> Device:
    """`device_id` (of `subject_id`) named `name` from now on; a revoked device may be renamed too."""
    new_name = device_name(name)
    get_device(session, subject_id, device_id)
    session.execute(update(devices).where(devices.c.id == device_id).values(name=new_name))
    return get_device(session, subject_id, device_id)


def revoke_device(session: Session, subject_id: str, device_id: str, now: int, *, actor: str) -> Device:
    """`device_id` (of `subject_id`) revoked at `now` by `actor` (the customer's session, or an operator's
    key): its signatures are refused from then on. The revocation is chained onto the risk audit log in the
    session's transaction, so it commits with its record or not at all (who revoked a key is what a fraud
    investigation asks first). Revoking a revoked device changes nothing and records nothing (the first
    revocation's time stays)."""
    get_device(session, subject_id, device_id)
    revoked = session.execute(
        update(devices)
        .where(devices.c.id == device_id, devices.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if revoked.rowcount == 1:  # type: ignore[attr-defined]
        append(
            session.connection(),
            actor=actor,
            action="risk.device.revoked",
            subject=device_id,
            details={"subject_id": subject_id},
            now=now,
        )
    return get_device(session, subject_id, device_id)
