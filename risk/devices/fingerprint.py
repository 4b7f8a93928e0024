"""A request's device fingerprint, and whether a subject has been seen with it before: a *signal* for the
risk engine, never an authenticator.

The attributes (user agent, Accept-Language, the client's network: IPv4 /24 or IPv6 /48, and a TLS
fingerprint such as JA3 where the edge gives one) are sent by the client and trivially copied, so a matching
fingerprint proves nothing; a new or changed one only raises the engine's suspicion (`DeviceSignal`). Only
the device signature (`verifier`) proves a device.

The fingerprint is HMAC-SHA256 under a key read from a file (64 hex digits; only its path is a setting), over
the normalized attributes JSON-encoded as a list: the table holds no attribute, and without the key nobody
can test a guessed user agent and address against it. Per subject, each fingerprint is a row with when it
was first and last seen; `observe` records one sighting and says what it means.
"""

import hashlib
import hmac
import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from risk.devices.schema import fingerprints

KEY_BYTES: Final = 32
DOMAIN: Final = "TPW-FINGERPRINT-v1"
MAX_ATTRIBUTE_LENGTH: Final = 512
IPV4_PREFIX: Final = 24
IPV6_PREFIX: Final = 48


class FingerprintKeyError(ValueError):
    """The fingerprint key file is missing or malformed (the message names the path, never the content)."""


@dataclass(frozen=True)
class RequestAttributes:
    """What a request says about the device it came from (None where it says nothing)."""

    user_agent: str | None = None
    accept_language: str | None = None
    ip: str | None = None
    tls_fingerprint: str | None = None
    """JA3/JA4 or the like, from the TLS-terminating edge, if it passes one on."""


@dataclass(frozen=True)
class DeviceSignal:
    """What a request's fingerprint tells the risk engine about `subject_id`."""

    fingerprint: str
    is_new_device: bool
    """The subject was never seen with this fingerprint before."""
    fingerprint_changed: bool
    """The subject's previous request came with another fingerprint."""
    first_seen_at: int


def network_of(ip: str | None) -> str | None:
    """The network `ip` is in, as the fingerprint uses it: IPv4 /24, IPv6 /48 (an IPv4-mapped IPv6 address
    counts as IPv4); None for no or an unreadable address. Coarse on purpose: a phone moving between
    addresses of one provider keeps its fingerprint."""
    if ip is None:
        return None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _normalized(value: str | None, *, lower: bool = False) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split())[:MAX_ATTRIBUTE_LENGTH]
    return (text.lower() if lower else text) or None


class Fingerprinter:
    """Computes fingerprints under one key (`from_file`); the key is never shown by `repr`."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise FingerprintKeyError(f"a fingerprint key is {KEY_BYTES} bytes")
        self._key = key

    def __repr__(self) -> str:
        return "Fingerprinter(<key redacted>)"

    @classmethod
    def from_file(cls, path: Path) -> "Fingerprinter":
        """The fingerprinter keyed by the 64 hex digits in `path`."""
        try:
            text = path.read_text().strip()
        except OSError as error:
            raise FingerprintKeyError(
                f"cannot read the fingerprint key file {path}: {error.strerror}"
            ) from None
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = b""
        if len(key) != KEY_BYTES:
            raise FingerprintKeyError(f"the fingerprint key file {path} must hold {2 * KEY_BYTES} hex digits")
        return cls(key)

    def fingerprint(self, attributes: RequestAttributes) -> str:
        """HMAC-SHA256 (hex) of the normalized attributes: whitespace collapsed, Accept-Language and the TLS
        fingerprint lower-cased, the address reduced to its network."""
        parts = [
            DOMAIN,
            _normalized(attributes.user_agent),
            _normalized(attributes.accept_language, lower=True),
            network_of(attributes.ip),
            _normalized(attributes.tls_fingerprint, lower=True),
        ]
        message = json.dumps(parts, separators=(",", ":"), ensure_ascii=True).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


def observe(session: Session, subject_id: str, fingerprint: str, now: int) -> DeviceSignal:
    """Record that `subject_id` was seen with `fingerprint` at `now` (unix seconds), in the session's
    transaction (the caller commits), and say what that sighting means. "Previous" is the subject's sighting
    with the highest number; two concurrent sightings may share a number, which only blurs a signal."""
    latest = session.execute(
        select(fingerprints.c.fingerprint, fingerprints.c.last_sighting)
        .where(fingerprints.c.subject_id == subject_id)
        .order_by(fingerprints.c.last_sighting.desc())
        .limit(1)
    ).first()
    previous, sighting = (latest.fingerprint, latest.last_sighting + 1) if latest else (None, 1)
    key = (fingerprints.c.subject_id == subject_id) & (fingerprints.c.fingerprint == fingerprint)
    first_seen = session.execute(select(fingerprints.c.first_seen_at).where(key)).scalar()
    if first_seen is None:
        try:
            with session.begin_nested():
                session.execute(
                    insert(fingerprints).values(
                        subject_id=subject_id,
                        fingerprint=fingerprint,
                        first_seen_at=now,
                        last_seen_at=now,
                        seen_count=1,
                        last_sighting=sighting,
                    )
                )
            return DeviceSignal(fingerprint, True, previous is not None, now)
        except IntegrityError:  # a concurrent request of the subject recorded it first
            first_seen = session.execute(select(fingerprints.c.first_seen_at).where(key)).scalar_one()
    session.execute(
        update(fingerprints)
        .where(key)
        .values(last_seen_at=now, seen_count=fingerprints.c.seen_count + 1, last_sighting=sighting)
    )
    return DeviceSignal(fingerprint, False, previous not in (None, fingerprint), first_seen)
