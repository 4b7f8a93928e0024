"""Verifying a device-signed request: the device is the subject's and active, the signature is its key's over
the request's canonical string, the timestamp is fresh and the nonce is new.

Checks run cheapest and least revealing first, and the nonce is recorded only after the signature verified,
so a forger cannot spend a device's nonces. A nonce is a row whose primary key (device, nonce) makes a second
insert fail: of two concurrent copies of one signed request exactly one is accepted, on SQLite and
PostgreSQL alike. The row is written in a SAVEPOINT of the caller's transaction and kept until the request's
timestamp leaves the tolerance window (`timestamp + tolerance`); past that the timestamp check refuses the
copy anyway, so the nonce table never grows beyond one window of traffic.

Time is an injectable clock of unix seconds.
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from risk.devices.canonical import (
    DEVICE_ID_HEADER,
    DEVICE_ID_PATTERN,
    NONCE_HEADER,
    NONCE_PATTERN,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    TIMESTAMP_PATTERN,
    request_signing_input,
)
from risk.devices.errors import (
    BadSignature,
    DeviceRevoked,
    InvalidDeviceInput,
    ReplayedNonce,
    SignatureMissing,
    StaleTimestamp,
    UnknownDevice,
)
from risk.devices.keys import decode_base64url
from risk.devices.registry import find_device
from risk.devices.schema import devices, nonces

Clock = Callable[[], int]
"""Unix seconds now."""


def system_clock() -> int:
    """The wall clock in unix seconds: the clock a server verifies with."""
    return int(time.time())


@dataclass(frozen=True)
class SignedRequest:
    """A request as received: its method, target (path and query as sent), body, and device headers (None
    where absent)."""

    method: str
    target: str
    body: bytes
    device_id: str | None
    timestamp: str | None
    nonce: str | None
    signature: str | None


@dataclass(frozen=True)
class VerifiedDevice:
    """A request proven to come from `device_id`, a device of `subject_id`."""

    device_id: str
    subject_id: str
    key_type: str
    timestamp: int
    nonce: str


def _header(value: str | None, header: str, pattern: re.Pattern[str] | None = None) -> str:
    if value is None:
        raise SignatureMissing(f"this request must be signed by a device: {header} is missing", field=header)
    if pattern is not None and pattern.fullmatch(value) is None:
        raise SignatureMissing(f"{header} is malformed", field=header)
    return value


@dataclass(frozen=True)
class RequestVerifier:
    """Verifies signed requests against the devices in the database, with a tolerance (seconds) each way
    between a request's timestamp and `clock`."""

    tolerance_seconds: int
    clock: Clock = system_clock

    def verify(self, session: Session, subject_id: str, request: SignedRequest) -> VerifiedDevice:
        """The device that signed `request` for `subject_id`, its nonce recorded in the session's
        transaction (the caller commits); a `SignatureRefused` naming the header at fault otherwise."""
        device_id = _header(request.device_id, DEVICE_ID_HEADER, DEVICE_ID_PATTERN)
        stamp = _header(request.timestamp, TIMESTAMP_HEADER, TIMESTAMP_PATTERN)
        nonce = _header(request.nonce, NONCE_HEADER, NONCE_PATTERN)
        encoded = _header(request.signature, SIGNATURE_HEADER)
        try:
            signature = decode_base64url(encoded, SIGNATURE_HEADER)
        except InvalidDeviceInput:
            raise SignatureMissing(f"{SIGNATURE_HEADER} is not base64url", field=SIGNATURE_HEADER) from None
        timestamp, now = int(stamp), self.clock()
        if abs(now - timestamp) > self.tolerance_seconds:
            raise StaleTimestamp(
                f"{TIMESTAMP_HEADER} is more than {self.tolerance_seconds} s from the server's clock",
                field=TIMESTAMP_HEADER,
            )
        device = find_device(session, device_id)
        if device is None or device.subject_id != subject_id:
            raise UnknownDevice(f"no device {device_id} is bound to this subject", field=DEVICE_ID_HEADER)
        if not device.active:
            raise DeviceRevoked(f"device {device_id} was revoked", field=DEVICE_ID_HEADER)
        try:
            signed = request_signing_input(
                request.method, request.target, request.body, timestamp, nonce, device_id
            )
        except ValueError:
            raise BadSignature("the request cannot be signed as received", field=SIGNATURE_HEADER) from None
        if not device.key.verifies(signature, signed):
            raise BadSignature(
                f"{SIGNATURE_HEADER} does not verify over this request under the device's key",
                field=SIGNATURE_HEADER,
            )
        self._record_nonce(session, device_id, nonce, timestamp + self.tolerance_seconds, now)
        session.execute(update(devices).where(devices.c.id == device_id).values(last_used_at=now))
        return VerifiedDevice(device_id, subject_id, device.key.key_type, timestamp, nonce)

    @staticmethod
    def _record_nonce(session: Session, device_id: str, nonce: str, expires_at: int, now: int) -> None:
        session.execute(delete(nonces).where(nonces.c.device_id == device_id, nonces.c.expires_at < now))
        try:
            with session.begin_nested():
                session.execute(
                    insert(nonces).values(device_id=device_id, nonce=nonce, expires_at=expires_at)
                )
        except IntegrityError:
            raise ReplayedNonce(
                f"{NONCE_HEADER} was used already by this device: sign each request with a new nonce",
                field=NONCE_HEADER,
            ) from None
