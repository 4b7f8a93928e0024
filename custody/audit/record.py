"""One audit record: its fields, its canonical JSON, its hash, and the checkpoint message a writer signs.

A record's ``hash`` is the SHA-256 of its canonical JSON encoding without ``hash`` (sorted keys, no spaces,
ASCII; format version ``v``); ``prev_hash`` is the previous record's hash, 32 zero bytes for the first.
Values in ``details`` are JSON without floats: a float's text is not the same in every language, and money
is integers anyway.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chain.files import canonical_json
from custody.errors import InvalidAuditRecord

RECORD_VERSION: Final = 1
GENESIS_HASH: Final = "00" * 32
CHECKPOINT_ACTION: Final = "audit.checkpoint"
TORN_TAIL_ACTION: Final = "audit.torn-tail-removed"
CHECKPOINT_LABEL: Final = b"tpwallet-audit-checkpoint/v1\x00"
_HASH_RE: Final = re.compile(r"[0-9a-f]{64}")
_RECORD_FIELDS: Final = frozenset(
    {"v", "seq", "time", "actor", "action", "subject", "details", "prev_hash", "hash"}
)
CHECKPOINT_FIELDS: Final = frozenset({"seq", "head_hash", "public_key", "signature"})


def record_json(value: Any) -> bytes:
    """A record's canonical JSON (`chain.files.canonical_json`), refusing NaN and infinities."""
    return canonical_json(value, allow_nan=False)


def check_json(value: Any, where: str) -> None:
    """Admit only float-free JSON, so the canonical encoding is the same in any language."""
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_json(item, f"{where}[{index}]")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidAuditRecord(f"{where} has a non-string key {key!r}")
            check_json(item, f"{where}.{key}")
    else:
        raise InvalidAuditRecord(f"{where} is a {type(value).__name__}; details hold float-free JSON only")


def utc_now() -> datetime:
    """The current time, timezone-aware UTC (the default clock)."""
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise InvalidAuditRecord("audit time must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class AuditRecord:
    """One link of the chain, as stored."""

    seq: int
    time: str
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    hash: str

    def body(self) -> dict[str, Any]:
        """Every field the hash covers (all but ``hash`` itself, plus the format version)."""
        return {
            "v": RECORD_VERSION,
            "seq": self.seq,
            "time": self.time,
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "details": self.details,
            "prev_hash": self.prev_hash,
        }

    def computed_hash(self) -> str:
        """SHA-256 of the canonical body: what ``hash`` must be."""
        return hashlib.sha256(record_json(self.body())).hexdigest()

    def to_line(self) -> bytes:
        """The canonical stored form: one line of JSON, without the newline."""
        return record_json({**self.body(), "hash": self.hash})

    @classmethod
    def parse(cls, line: bytes) -> AuditRecord:
        """Read a stored line; ValueError with the reason unless it is a well-formed, canonical record."""
        try:
            fields = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            raise ValueError("not JSON") from None
        if not isinstance(fields, dict) or set(fields) != _RECORD_FIELDS:
            raise ValueError("not an object with exactly the record fields")
        if fields["v"] != RECORD_VERSION:
            raise ValueError(f"unsupported record version {fields['v']!r}")
        if type(fields["seq"]) is not int or fields["seq"] < 1:
            raise ValueError("seq is not a positive integer")
        for name in ("time", "actor", "action", "subject"):
            if not isinstance(fields[name], str):
                raise ValueError(f"{name} is not a string")
        for name in ("prev_hash", "hash"):
            if not isinstance(fields[name], str) or not _HASH_RE.fullmatch(fields[name]):
                raise ValueError(f"{name} is not 64 lowercase hex digits")
        if not isinstance(fields["details"], dict):
            raise ValueError("details is not an object")
        try:
            check_json(fields["details"], "details")
        except InvalidAuditRecord as exc:
            raise ValueError(str(exc)) from None
        fields.pop("v")
        record = cls(**fields)
        if record.to_line() != line:
            raise ValueError("not in canonical form")
        return record


def checkpoint_message(seq: int, head_hash: str) -> bytes:
    """The bytes a checkpoint signs: a domain label, the head's seq (8 bytes, big-endian) and its hash."""
    return CHECKPOINT_LABEL + seq.to_bytes(8, "big") + bytes.fromhex(head_hash)


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)
