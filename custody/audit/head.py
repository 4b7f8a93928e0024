"""Signed statements of an audit log's head, to keep off the machine, and the check of a log against them.

A checkpoint inside the log (`custody.audit.AuditLog.checkpoint`) proves that the records up to it were
written by the holder of the node's identity key; it cannot prove that nothing came *after* it: whoever can
write the file can cut it back to any earlier checkpoint, or cut and re-extend it, and the log still
verifies. What catches that is a head kept elsewhere. A `HeadStatement` is one: the node's id, the head's
seq and hash and the time, signed with the node's Ed25519 identity key (the key in the group roster). The
node hands one out on ``GET /v1/audit/head`` (for the coordinator to collect), ``tpw-custody audit
export-head`` prints one, and ``tpw-custody audit verify --head FILE`` checks a log against it: the log must
still hold that very record (same seq, same hash), else the log was truncated or rewritten after it.

The signed bytes are a domain label, the node id (2 bytes), the seq (8 bytes), the head hash (32 bytes) and
the time as written in the statement (UTC, ISO 8601), all big-endian; they can never pass for a checkpoint
record's signature (another label).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from custody.audit.log import AuditLog
from custody.audit.record import AuditRecord, utc_now
from custody.audit.store import StoredEntry
from custody.audit.verification import AuditVerification, Finding, FindingKind
from custody.errors import AuditError

HEAD_STATEMENT_TYPE: Final = "tpwallet-audit-head/v1"
_HEAD_LABEL: Final = HEAD_STATEMENT_TYPE.encode() + b"\x00"
_FIELDS: Final = frozenset({"type", "node_id", "seq", "head_hash", "time", "public_key", "signature"})
_HEX64: Final = re.compile(r"[0-9a-f]{64}")
_HEX128: Final = re.compile(r"[0-9a-f]{128}")
_TIME: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


class InvalidHeadStatement(AuditError):
    """A head statement that is malformed or whose signature does not hold."""


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class HeadStatement:
    """Node `node_id` says: at `time`, my audit log's last record was seq `seq` with hash `head_hash`."""

    node_id: int
    seq: int
    head_hash: str
    time: str
    public_key: str
    signature: str

    @staticmethod
    def message(node_id: int, seq: int, head_hash: str, time: str) -> bytes:
        """The bytes the node signs (see the module docstring)."""
        return (
            _HEAD_LABEL
            + node_id.to_bytes(2, "big")
            + seq.to_bytes(8, "big")
            + bytes.fromhex(head_hash)
            + time.encode()
        )

    @classmethod
    def sign(cls, identity: Ed25519PrivateKey, node_id: int, head: AuditRecord, time: str) -> HeadStatement:
        """`head` stated by node `node_id` at `time`, signed with its identity key."""
        signature = identity.sign(cls.message(node_id, head.seq, head.hash, time))
        return cls(node_id, head.seq, head.hash, time, _raw(identity.public_key()).hex(), signature.hex())

    def verify(self, trusted: Ed25519PublicKey) -> None:
        """InvalidHeadStatement unless `trusted` (the node's roster key) signed exactly this statement."""
        if bytes.fromhex(self.public_key) != _raw(trusted):
            raise InvalidHeadStatement(f"the head statement of node {self.node_id} is signed by another key")
        try:
            trusted.verify(
                bytes.fromhex(self.signature), self.message(self.node_id, self.seq, self.head_hash, self.time)
            )
        except InvalidSignature:
            raise InvalidHeadStatement(
                f"the head statement of node {self.node_id} is not validly signed"
            ) from None

    def to_json(self) -> dict[str, Any]:
        """The statement as JSON (what ``export-head`` prints and ``GET /v1/audit/head`` answers)."""
        return {
            "type": HEAD_STATEMENT_TYPE,
            "node_id": self.node_id,
            "seq": self.seq,
            "head_hash": self.head_hash,
            "time": self.time,
            "public_key": self.public_key,
            "signature": self.signature,
        }

    @classmethod
    def from_json(cls, value: Any) -> HeadStatement:
        """Parse strictly; InvalidHeadStatement naming the first wrong field."""
        if not isinstance(value, Mapping) or set(value) != _FIELDS:
            raise InvalidHeadStatement(f"a head statement has exactly the fields {sorted(_FIELDS)}")
        if value["type"] != HEAD_STATEMENT_TYPE:
            raise InvalidHeadStatement(f"type must be {HEAD_STATEMENT_TYPE!r}")
        for name, bits in (("node_id", 16), ("seq", 63)):
            if type(value[name]) is not int or not 1 <= value[name] < (1 << bits):
                raise InvalidHeadStatement(f"{name} must be a positive integer below 2**{bits}")
        for name, pattern in (("head_hash", _HEX64), ("public_key", _HEX64), ("signature", _HEX128)):
            if not isinstance(value[name], str) or not pattern.fullmatch(value[name]):
                raise InvalidHeadStatement(f"{name} must be lowercase hex of the right length")
        if not isinstance(value["time"], str) or not _TIME.fullmatch(value["time"]):
            raise InvalidHeadStatement("time must be UTC ISO 8601 with microseconds (…T…Z)")
        return cls(**{name: value[name] for name in _FIELDS - {"type"}})

    @classmethod
    def parse(cls, text: str | bytes) -> HeadStatement:
        """A statement from its JSON text."""
        try:
            return cls.from_json(json.loads(text))
        except ValueError:
            raise InvalidHeadStatement("a head statement is a JSON object") from None


def current_head(log: AuditLog) -> AuditRecord:
    """The last record of `log`; AuditError if it has none (AuditLogCorrupt if a record is unreadable)."""
    head: AuditRecord | None = None
    for record in log.records():
        head = record
    if head is None:
        raise AuditError(f"{log!r} has no records, so no head to state")
    return head


def state_head(log: AuditLog, identity: Ed25519PrivateKey, node_id: int) -> HeadStatement:
    """A signed statement of `log`'s current head by node `node_id`."""
    time = utc_now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return HeadStatement.sign(identity, node_id, current_head(log), time)


def check_against_heads(
    verdict: AuditVerification, entries: Iterable[StoredEntry], heads: Iterable[HeadStatement]
) -> AuditVerification:
    """`verdict` with a finding for every (already verified) head statement the log no longer holds: a
    record at the stated seq with another hash was rewritten; no record at that seq, the log was cut."""
    hashes: dict[int, tuple[int, str]] = {}
    for entry in entries:
        try:
            record = AuditRecord.parse(entry.data)
        except ValueError:
            continue
        hashes.setdefault(record.seq, (entry.line, record.hash))
    findings = list(verdict.findings)
    for head in heads:
        found = hashes.get(head.seq)
        where = f"node {head.node_id}'s head of {head.time} (seq {head.seq}, {head.head_hash[:16]}...)"
        if found is None:
            message = f"the log ends before {where}: records were removed from its end"
            findings.append(Finding(FindingKind.TRUNCATED, None, head.seq, message))
        elif found[1] != head.head_hash:
            message = f"seq {head.seq} is not the record of {where}: the log was rewritten"
            findings.append(Finding(FindingKind.REWRITTEN, found[0], head.seq, message))
    findings.sort(key=lambda p: (p.line is None, p.line or 0))
    return replace(verdict, findings=findings)
