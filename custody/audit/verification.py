"""Verifying an audit log: every broken link, gap, malformed line and bad checkpoint, each a `Finding`.

"Problem" is kept for RFC 9457 documents; what verification reports about a log is a finding.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from custody.audit.record import (
    CHECKPOINT_ACTION,
    CHECKPOINT_FIELDS,
    GENESIS_HASH,
    AuditRecord,
    checkpoint_message,
    raw_public_key,
)
from custody.audit.store import FileAuditStore, StoredEntry
from custody.errors import AuditError


class FindingKind(enum.StrEnum):
    """How a log departs from an intact chain."""

    MALFORMED = "malformed"  # not a well-formed record in canonical form
    TRUNCATED = "truncated"  # the final line is incomplete: an append was cut off
    EDITED = "edited"  # the content does not hash to the record's stored hash
    REWRITTEN = "rewritten"  # hashes correctly, but the next record's prev_hash names another record
    CHAIN_BROKEN = "chain-broken"  # the first record does not start from the genesis hash
    REMOVED = "removed"  # sequence numbers missing before this record
    REORDERED = "reordered"  # a record out of sequence order
    DUPLICATED = "duplicated"  # a sequence number that already appeared
    CHECKPOINT_INVALID = "checkpoint-invalid"  # a checkpoint whose signature or signed head is wrong
    CHECKPOINT_UNTRUSTED = "checkpoint-untrusted"  # a checkpoint signed by a key not among the trusted ones
    CHECKPOINT_MISSING = "checkpoint-missing"  # trusted keys were given but no checkpoint by them exists


@dataclass(frozen=True)
class Finding:
    """One thing wrong with the log, located by line (entry position) and, where readable, seq."""

    kind: FindingKind
    line: int | None
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = "log" if self.line is None else f"line {self.line}"
        seq = "" if self.seq is None else f" (seq {self.seq})"
        return f"{where}{seq}: {self.kind}: {self.message}"


@dataclass(frozen=True)
class AuditVerification:
    """The verdict on a log: findings sorted by position (the first is the first bad record)."""

    count: int
    head_seq: int | None
    head_hash: str | None
    checkpointed_seq: int | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the chain is intact (and, if trusted keys were given, checkpointed by one of them)."""
        return not self.findings

    def summary(self) -> str:
        """A few lines for an operator: the verdict, the head, then each finding."""
        verdict = "OK" if self.ok else f"BROKEN ({len(self.findings)} finding(s))"
        lines = [
            f"audit log {verdict}: {self.count} record(s), head seq {self.head_seq} hash {self.head_hash}",
            f"checkpointed through seq {self.checkpointed_seq}",
        ]
        return "\n".join(lines + [f"  {finding}" for finding in self.findings])

    def to_json(self) -> dict[str, Any]:
        """The verdict as JSON-ready data (for the CLI's --json and the API)."""
        return {
            "ok": self.ok,
            "count": self.count,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "checkpointed_seq": self.checkpointed_seq,
            "findings": [
                {"kind": str(p.kind), "line": p.line, "seq": p.seq, "message": p.message}
                for p in self.findings
            ],
        }


@dataclass(frozen=True)
class _Parsed:
    line: int
    record: AuditRecord
    edited: bool


def verify_entries(
    entries: Iterable[StoredEntry], trusted_keys: Sequence[Ed25519PublicKey] = ()
) -> AuditVerification:
    """Check every record's hash, the sequence, the chain links and the checkpoints; locate each finding.

    With `trusted_keys`, every checkpoint must be signed by one of them and at least one must exist, so a
    log rewritten by someone without those keys fails.
    """
    findings: list[Finding] = []
    parsed: list[_Parsed] = []
    malformed_lines: list[int] = []
    count = 0
    for entry in entries:
        if not entry.complete:
            findings.append(Finding(FindingKind.TRUNCATED, entry.line, None, "incomplete final line"))
            continue
        count += 1
        try:
            record = AuditRecord.parse(entry.data)
        except ValueError as exc:
            findings.append(Finding(FindingKind.MALFORMED, entry.line, None, str(exc)))
            malformed_lines.append(entry.line)
            continue
        edited = record.computed_hash() != record.hash
        if edited:
            findings.append(
                Finding(FindingKind.EDITED, entry.line, record.seq, "content does not match its hash")
            )
        parsed.append(_Parsed(entry.line, record, edited))

    findings += _sequence_findings(parsed, malformed_lines)
    findings += _link_findings(parsed)
    checkpoint_findings, checkpointed_seq = _checkpoint_findings(parsed, trusted_keys)
    findings += checkpoint_findings
    findings.sort(key=lambda p: (p.line is None, p.line or 0))
    head = parsed[-1].record if parsed else None
    return AuditVerification(
        count=count,
        head_seq=None if head is None else head.seq,
        head_hash=None if head is None else head.hash,
        checkpointed_seq=checkpointed_seq,
        findings=findings,
    )


def _sequence_findings(parsed: list[_Parsed], malformed_lines: list[int]) -> list[Finding]:
    """Gaps, reorderings and duplicates, judged against the highest seq seen so far in file order.

    Missing numbers that malformed lines in between could account for are not called removed: the
    malformed lines are the finding already reported.
    """
    findings: list[Finding] = []
    all_seqs = {p.record.seq for p in parsed}
    first_line_of: dict[int, int] = {}
    max_seq, previous_line = 0, 0
    for item in parsed:
        seq = item.record.seq
        malformed_between = sum(1 for line in malformed_lines if previous_line < line < item.line)
        if seq in first_line_of:
            message = f"seq {seq} already appeared at line {first_line_of[seq]}"
            findings.append(Finding(FindingKind.DUPLICATED, item.line, seq, message))
        elif seq < max_seq:
            message = f"seq {seq} comes after seq {max_seq}"
            findings.append(Finding(FindingKind.REORDERED, item.line, seq, message))
        elif seq > max_seq + 1:
            missing = range(max_seq + 1, seq)
            later = [m for m in missing if m in all_seqs]
            if later:
                message = f"seq {seq} comes before seq {later[0]}"
                findings.append(Finding(FindingKind.REORDERED, item.line, seq, message))
            elif len(missing) > malformed_between:
                span = str(missing[0]) if len(missing) == 1 else f"{missing[0]}..{missing[-1]}"
                message = f"seq {span} missing before this record"
                findings.append(Finding(FindingKind.REMOVED, item.line, seq, message))
        first_line_of.setdefault(seq, item.line)
        max_seq, previous_line = max(max_seq, seq), item.line
    return findings


def _link_findings(parsed: list[_Parsed]) -> list[Finding]:
    """Each record's prev_hash against the actual hash of the record with the seq before it.

    A record that hashes correctly but is not the one its successor names was replaced wholesale (hash
    recomputed): the finding is located at the replaced record. Edited records were reported already.
    """
    findings: list[Finding] = []
    by_seq: dict[int, _Parsed] = {}
    for item in parsed:
        by_seq.setdefault(item.record.seq, item)
    for seq, item in by_seq.items():
        if item.edited:
            continue
        if seq == 1:
            if item.record.prev_hash != GENESIS_HASH:
                message = "the first record's prev_hash is not the genesis hash"
                findings.append(Finding(FindingKind.CHAIN_BROKEN, item.line, seq, message))
            continue
        before = by_seq.get(seq - 1)
        if before is None or before.edited or item.record.prev_hash == before.record.hash:
            continue
        message = f"replaced: seq {seq} (line {item.line}) names prev_hash {item.record.prev_hash[:16]}..."
        findings.append(Finding(FindingKind.REWRITTEN, before.line, seq - 1, message))
    return findings


def _checkpoint_findings(
    parsed: list[_Parsed], trusted_keys: Sequence[Ed25519PublicKey]
) -> tuple[list[Finding], int | None]:
    """Check every checkpoint record; return the findings and the highest seq a good checkpoint covers."""
    trusted = {raw_public_key(key) for key in trusted_keys}
    findings: list[Finding] = []
    checkpointed: int | None = None
    for item in parsed:
        record = item.record
        if record.action != CHECKPOINT_ACTION or item.edited:
            continue
        reason = _checkpoint_fault(record)
        if reason is not None:
            findings.append(Finding(FindingKind.CHECKPOINT_INVALID, item.line, record.seq, reason))
            continue
        if trusted and bytes.fromhex(record.details["public_key"]) not in trusted:
            message = "signed by a key that is not trusted"
            findings.append(Finding(FindingKind.CHECKPOINT_UNTRUSTED, item.line, record.seq, message))
            continue
        checkpointed = max(checkpointed or 0, record.details["seq"])
    if trusted and parsed and checkpointed is None:
        message = "no checkpoint signed by a trusted key: a rewrite of the whole log would go unnoticed"
        findings.append(Finding(FindingKind.CHECKPOINT_MISSING, None, None, message))
    return findings, checkpointed


def _checkpoint_fault(record: AuditRecord) -> str | None:
    """Why a checkpoint record does not prove its head, or None when its signature holds."""
    details = record.details
    if set(details) != CHECKPOINT_FIELDS or type(details["seq"]) is not int:
        return "details are not a checkpoint's fields"
    if details["seq"] != record.seq - 1 or details["head_hash"] != record.prev_hash:
        return "the signed head is not the record just before the checkpoint"
    try:
        public_key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(details["public_key"]))
        signature = bytes.fromhex(details["signature"])
        public_key.verify(signature, checkpoint_message(details["seq"], details["head_hash"]))
    except (ValueError, TypeError, InvalidSignature):
        return "the signature does not verify"
    return None


def verify(
    path: str | os.PathLike[str], *, trusted_keys: Sequence[Ed25519PublicKey] = ()
) -> AuditVerification:
    """Verify the audit log file at `path` (see `verify_entries`); AuditError if there is no such file."""
    store = FileAuditStore(path)
    if not store.path.is_file():
        raise AuditError(f"no audit log at {store.path}")
    return verify_entries(store.entries(), trusted_keys)
