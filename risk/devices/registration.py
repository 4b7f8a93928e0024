"""Binding a device to a subject, with proof that the device holds the private key of what it registers.

The server issues a challenge (random, for one subject, single use, short-lived); the device signs
`canonical.registration_signing_input` (challenge id, challenge, subject id, SHA-256 of the key's SPKI) with
the key it registers. The signature binds the key to this subject and this challenge: a registration cannot
be replayed (the challenge is spent), moved to another subject (the subject id is signed and the challenge is
that subject's) or made with a key one does not hold (the signature would not verify).

The challenge is spent by a conditional UPDATE (still unused, unexpired, this subject's): of two concurrent
registrations with one challenge, one updates the row and the other finds nothing to update. A refused
registration spends nothing (its transaction rolls back), and the challenge expires soon anyway.
"""

import secrets
from dataclasses import dataclass
from typing import Final

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from risk.devices.canonical import registration_signing_input
from risk.devices.errors import DeviceKeyTaken, RegistrationRefused, TooManyDevices
from risk.devices.keys import decode_base64url, encode_base64url, parse_public_key
from risk.devices.registry import Device, device_name, device_platform, get_device
from risk.devices.schema import challenges, devices

CHALLENGE_BYTES: Final = 32
MAX_ACTIVE_DEVICES: Final = 20
"""Active devices a subject may hold: enough for every phone, tablet and browser a person uses, and a bound
on what a stolen session could add before anyone notices."""


def new_id(prefix: str) -> str:
    """A fresh random id: `prefix`, an underscore, 96 random bits in hex (`dev_...`, `dch_...`)."""
    return f"{prefix}_{secrets.token_hex(12)}"


@dataclass(frozen=True)
class Challenge:
    """A registration challenge: the device signs it (see the module) before `expires_at` (unix seconds)."""

    id: str
    subject_id: str
    challenge: str
    created_at: int
    expires_at: int


@dataclass(frozen=True)
class DeviceRegistration:
    """What a device sends to bind itself: the challenge it answers and its key's signature over it."""

    challenge_id: str
    name: str
    platform: str
    public_key: str
    """SPKI PEM, or raw base64url (`keys.parse_public_key`)."""
    signature: str
    """base64url, over `canonical.registration_signing_input`."""


def issue_challenge(session: Session, subject_id: str, now: int, ttl_seconds: int) -> Challenge:
    """A new challenge for `subject_id`, valid `ttl_seconds` from `now`; challenges expired before `now`
    are swept first."""
    session.execute(delete(challenges).where(challenges.c.expires_at < now))
    challenge = Challenge(
        new_id("dch"),
        subject_id,
        encode_base64url(secrets.token_bytes(CHALLENGE_BYTES)),
        now,
        now + ttl_seconds,
    )
    session.execute(
        insert(challenges).values(
            id=challenge.id,
            subject_id=subject_id,
            challenge=challenge.challenge,
            created_at=now,
            expires_at=challenge.expires_at,
        )
    )
    return challenge


def _open_challenge(session: Session, subject_id: str, challenge_id: str, now: int) -> str:
    row = session.execute(
        select(challenges.c.challenge).where(
            challenges.c.id == challenge_id,
            challenges.c.subject_id == subject_id,
            challenges.c.used_at.is_(None),
            challenges.c.expires_at >= now,
        )
    ).first()
    if row is None:
        raise RegistrationRefused(
            "no open challenge of this id for this subject (unknown, expired or used): ask for a new one",
            field="challenge_id",
        )
    challenge: str = row.challenge
    return challenge


def register_device(session: Session, subject_id: str, registration: DeviceRegistration, now: int) -> Device:
    """Bind the registration's key to `subject_id` as a new device, spending its challenge.

    Refused, naming the field: a malformed name, platform, key or signature (InvalidDeviceInput); a
    challenge that is not open for this subject or a signature that does not verify (RegistrationRefused); a
    key bound already (DeviceKeyTaken); a subject at `MAX_ACTIVE_DEVICES` (TooManyDevices)."""
    name = device_name(registration.name)
    platform = device_platform(registration.platform)
    key = parse_public_key(registration.public_key)
    signature = decode_base64url(registration.signature, "signature")
    challenge = _open_challenge(session, subject_id, registration.challenge_id, now)
    signed = registration_signing_input(registration.challenge_id, challenge, subject_id, key.key_sha256)
    if not key.verifies(signature, signed):
        raise RegistrationRefused(
            "the signature does not verify over the challenge under this public key", field="signature"
        )
    active = session.scalar(
        select(func.count())
        .select_from(devices)
        .where(devices.c.subject_id == subject_id, devices.c.revoked_at.is_(None))
    )
    if (active or 0) >= MAX_ACTIVE_DEVICES:
        raise TooManyDevices(f"a subject holds at most {MAX_ACTIVE_DEVICES} active devices; revoke one first")
    spent = session.execute(
        update(challenges)
        .where(
            challenges.c.id == registration.challenge_id,
            challenges.c.used_at.is_(None),
            challenges.c.expires_at >= now,
        )
        .values(used_at=now)
        .returning(challenges.c.id)
    ).first()
    if spent is None:
        raise RegistrationRefused("the challenge was used by a concurrent registration", field="challenge_id")
    device_id = new_id("dev")
    try:
        with session.begin_nested():
            session.execute(
                insert(devices).values(
                    id=device_id,
                    subject_id=subject_id,
                    name=name,
                    platform=platform,
                    key_type=key.key_type,
                    public_key=key.spki,
                    key_sha256=key.key_sha256,
                    created_at=now,
                )
            )
    except IntegrityError:
        raise DeviceKeyTaken("this public key is bound to a device already", field="public_key") from None
    return get_device(session, subject_id, device_id)
