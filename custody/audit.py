"""Append-only, hash-chained audit log of custody actions, with signed checkpoints and a precise verifier.

Every record carries ``seq`` (1, 2, 3, ...), ``time`` (UTC, ISO 8601), ``actor``, ``action``, ``subject``,
``details`` (a JSON object), ``prev_hash`` and ``hash``: the SHA-256 of the record's canonical JSON encoding
without ``hash`` (sorted keys, no spaces, ASCII; format version ``v``). ``prev_hash`` is the previous
record's hash, 32 zero bytes for the first. Editing, removing, reordering or rewriting a record therefore
breaks the chain at that record, and `verify` says which record and how.

A chain alone does not stop someone who rewrites the *whole* log and recomputes every hash. A checkpoint
does: `AuditLog.checkpoint` appends a record holding an Ed25519 signature, by the writer's identity key, over
the head (seq, hash) before it. Verifying with the writer's public key among ``trusted_keys`` then fails on
a rewritten log, because nobody without that key can sign the rewritten head. Records after the last
checkpoint are protected by the chain only; removing records from the very end is visible only against a
head kept elsewhere (`AuditVerification.head_seq` / ``head_hash`` are what to keep).

Storage sits behind `AuditStore`, so the API can keep the log in its database; `FileAuditStore` keeps it as
JSON lines. Values in ``details`` are JSON without floats (integers, strings, booleans, null, lists,
objects): a float's text is not the same in every language, and money is integers anyway.
"""

from __future__ import annotations

import enum
import fcntl
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal, Protocol, TypeVar, overload

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chain.files import canonical_json, fsync_directory
from custody.errors import AuditError, AuditLogCorrupt, InvalidAuditRecord

RECORD_VERSION: Final = 1
GENESIS_HASH: Final = "00" * 32
CHECKPOINT_ACTION: Final = "audit.checkpoint"
TORN_TAIL_ACTION: Final = "audit.torn-tail-removed"
_CHECKPOINT_LABEL: Final = b"tpwallet-audit-checkpoint/v1\x00"
_HASH_RE: Final = re.compile(r"[0-9a-f]{64}")
_RECORD_FIELDS: Final = frozenset(
    {"v", "seq", "time", "actor", "action", "subject", "details", "prev_hash", "hash"}
)
_CHECKPOINT_FIELDS: Final = frozenset({"seq", "head_hash", "public_key", "signature"})
_TAIL_READ_CHUNK: Final = 8192

_T = TypeVar("_T")


def _canonical(value: Any) -> bytes:
    return canonical_json(value, allow_nan=False)


def _check_json(value: Any, where: str) -> None:
    """Admit only float-free JSON, so the canonical encoding is the same in any language."""
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_json(item, f"{where}[{index}]")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidAuditRecord(f"{where} has a non-string key {key!r}")
            _check_json(item, f"{where}.{key}")
    else:
        raise InvalidAuditRecord(f"{where} is a {type(value).__name__}; details hold float-free JSON only")


def utc_now() -> datetime:
    """The current time, timezone-aware UTC (the default clock)."""
    return datetime.now(UTC)


def _format_time(moment: datetime) -> str:
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
        return hashlib.sha256(_canonical(self.body())).hexdigest()

    def to_line(self) -> bytes:
        """The canonical stored form: one line of JSON, without the newline."""
        return _canonical({**self.body(), "hash": self.hash})

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
            _check_json(fields["details"], "details")
        except InvalidAuditRecord as exc:
            raise ValueError(str(exc)) from None
        fields.pop("v")
        record = cls(**fields)
        if record.to_line() != line:
            raise ValueError("not in canonical form")
        return record


@dataclass(frozen=True)
class StoredTail:
    """What an append needs from storage: the last complete entry, and any torn bytes after it."""

    last: bytes | None
    torn: bytes | None = None
    torn_offset: int | None = None


@dataclass(frozen=True)
class StoredEntry:
    """One stored entry: its 1-based position (line number in a file), bytes, and whether it is complete."""

    line: int
    data: bytes
    complete: bool = True


class AuditStore(Protocol):
    """Where the log lives: appends serialised across all writers, entries read back in order."""

    def append(self, compose: Callable[[StoredTail], tuple[bytes | None, _T]], *, durable: bool = True) -> _T:
        """Under a lock that excludes every other writer, call `compose` with the current tail.

        If it returns an entry, store it (dropping any torn bytes first) before returning: durably, or with
        ``durable=False`` so that it survives a crash of the process and becomes durable with the next
        durable append; if it returns None, change nothing. Return `compose`'s second value.
        """
        ...

    def entries(self) -> Iterator[StoredEntry]:
        """Every entry in storage order; a torn final entry comes with ``complete=False``."""
        ...


class FileAuditStore:
    """A JSON-lines file, 0600, appended with O_APPEND under an exclusive ``flock`` and fsynced before each
    durable append returns.

    Each append opens its own descriptor, so the flock serialises threads of one process as well as
    separate processes (flock locks belong to open file descriptions, not to processes). The flock covers
    reading the tail and writing the record; the fsync comes after it, and appends of one process that are
    waiting for the disk at the same time share one fsync (group commit): the fsync a thread starts after
    its own write covers every write finished before it started, its own and the others', and no append
    returns before an fsync started after its write has finished.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._sync = threading.Condition()
        self._written = 0  # appends of this object whose write has finished
        self._synced = 0  # ... of which an fsync made this many durable
        self._syncing = False

    def __repr__(self) -> str:
        return f"FileAuditStore({str(self.path)!r})"

    def append(self, compose: Callable[[StoredTail], tuple[bytes | None, _T]], *, durable: bool = True) -> _T:
        """See `AuditStore.append`."""
        existed = self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            tail = self._read_tail(fd)
            entry, result = compose(tail)
            if entry is None:
                return result
            if b"\n" in entry:
                raise AuditError("an audit entry must be a single line")
            if tail.torn_offset is not None:
                os.ftruncate(fd, tail.torn_offset)
            view = memoryview(entry + b"\n")
            while view:
                view = view[os.write(fd, view) :]
            with self._sync:
                self._written += 1
                ticket = self._written
            fcntl.flock(fd, fcntl.LOCK_UN)  # the next writer may append while this one waits for the disk
            if durable:
                self._sync_through(fd, ticket)
        finally:
            os.close(fd)  # releases the flock if still held
        if not existed:
            fsync_directory(self.path.parent)  # the new log's entry is durable too
        return result

    def _sync_through(self, fd: int, ticket: int) -> None:
        """Return once the write numbered `ticket` is on disk: fsync, or wait for an fsync that covers it."""
        while True:
            with self._sync:
                while self._syncing and self._synced < ticket:
                    self._sync.wait()
                if self._synced >= ticket:
                    return
                self._syncing = True
                covered = self._written  # every one of these writes finished before the fsync starts
            try:
                os.fsync(fd)  # fsync flushes the file, whichever descriptor wrote it
            except BaseException:
                with self._sync:
                    self._syncing = False
                    self._sync.notify_all()
                raise
            with self._sync:
                self._synced = max(self._synced, covered)
                self._syncing = False
                self._sync.notify_all()

    def entries(self) -> Iterator[StoredEntry]:
        """See `AuditStore.entries`; a missing file has no entries."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            for number, raw in enumerate(handle, start=1):
                complete = raw.endswith(b"\n")
                yield StoredEntry(line=number, data=raw[:-1] if complete else raw, complete=complete)

    @staticmethod
    def _read_tail(fd: int) -> StoredTail:
        """Read backwards from the end just far enough to find the last complete line and any torn bytes."""
        size = os.fstat(fd).st_size
        start, chunk = size, b""
        while start > 0 and chunk.count(b"\n") < 2:
            step = min(start, max(_TAIL_READ_CHUNK, len(chunk)))
            start -= step
            chunk = os.pread(fd, step, start) + chunk
        if not chunk:
            return StoredTail(last=None)
        torn = torn_offset = None
        if not chunk.endswith(b"\n"):
            cut = chunk.rfind(b"\n") + 1
            torn, torn_offset, chunk = chunk[cut:], start + cut, chunk[:cut]
        if not chunk:
            return StoredTail(last=None, torn=torn, torn_offset=torn_offset)
        body = chunk[:-1]
        return StoredTail(last=body[body.rfind(b"\n") + 1 :], torn=torn, torn_offset=torn_offset)


def checkpoint_message(seq: int, head_hash: str) -> bytes:
    """The bytes a checkpoint signs: a domain label, the head's seq (8 bytes, big-endian) and its hash."""
    return _CHECKPOINT_LABEL + seq.to_bytes(8, "big") + bytes.fromhex(head_hash)


def _raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


class AuditLog:
    """Appends records to an `AuditStore`, chaining each to the one before it."""

    def __init__(self, store: AuditStore, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self._clock = clock
        self._head: tuple[bytes, AuditRecord] | None = None
        """The last line this object composed and its record: when the stored tail is that very line, it
        is chained to without parsing and re-hashing it again (the store's lock makes this race-free)."""

    @classmethod
    def open_file(cls, path: str | os.PathLike[str], *, clock: Callable[[], datetime] = utc_now) -> AuditLog:
        """A log kept in the JSON-lines file at `path` (created by the first append)."""
        return cls(FileAuditStore(path), clock=clock)

    def __repr__(self) -> str:
        return f"AuditLog({self.store!r})"

    def append(
        self,
        *,
        actor: str,
        action: str,
        subject: str = "",
        details: Mapping[str, Any] | None = None,
        durable: bool = True,
    ) -> AuditRecord:
        """Append one record durably and return it; AuditLogCorrupt if the tail cannot be chained to.

        ``durable=False`` returns once the record is written (it survives a crash of the process, not of
        the machine) and leaves it to the next durable append, whose sync covers every record before it:
        for records that need not be on disk before the caller answers (a signer node's round one, whose
        round two, if it comes, cannot answer before its own record is durable)."""
        if not actor or not action:
            raise InvalidAuditRecord("an audit record names its actor and action")
        for name, value in (("actor", actor), ("action", action), ("subject", subject)):
            if not isinstance(value, str):
                raise InvalidAuditRecord(f"{name} must be a string")
        details = {} if details is None else details
        if not isinstance(details, Mapping):
            raise InvalidAuditRecord("details must be a JSON object")
        _check_json(details, "details")
        normalised: dict[str, Any] = json.loads(_canonical(details))

        def compose(tail: StoredTail) -> tuple[bytes, AuditRecord]:
            cached = self._head
            if cached is not None and tail.torn is None and tail.last == cached[0]:
                head: AuditRecord | None = cached[1]
            else:
                head = _head_of(tail)
            record = self._chain_after(head, actor, action, subject, normalised)
            line = record.to_line()
            self._head = (line, record)
            return line, record

        return self.store.append(compose, durable=durable)

    @overload
    def checkpoint(
        self, identity: Ed25519PrivateKey, *, actor: str, if_changed: Literal[False] = False
    ) -> AuditRecord: ...

    @overload
    def checkpoint(
        self, identity: Ed25519PrivateKey, *, actor: str, if_changed: bool
    ) -> AuditRecord | None: ...

    def checkpoint(
        self, identity: Ed25519PrivateKey, *, actor: str, if_changed: bool = False
    ) -> AuditRecord | None:
        """Sign the current head with `identity` and append the signature as a checkpoint record.

        With `if_changed`, a log whose last record is a checkpoint already gets none (and None is returned):
        a node checkpointing on a timer adds nothing while idle."""

        def compose(tail: StoredTail) -> tuple[bytes | None, AuditRecord | None]:
            head = _head_of(tail)
            if head is None:
                raise AuditError("an empty audit log has no head to checkpoint")
            if if_changed and head.action == CHECKPOINT_ACTION:
                return None, None
            details = {
                "seq": head.seq,
                "head_hash": head.hash,
                "public_key": _raw_public_key(identity.public_key()).hex(),
                "signature": identity.sign(checkpoint_message(head.seq, head.hash)).hex(),
            }
            record = self._chain_after(head, actor, CHECKPOINT_ACTION, f"seq:{head.seq}", details)
            return record.to_line(), record

        return self.store.append(compose)

    def remove_torn_tail(self, *, actor: str) -> AuditRecord | None:
        """Cut off an append that a crash left half-written, and record the cut in the log itself.

        A torn final line was never acknowledged to its writer (acknowledgement follows fsync of the whole
        line), so no caller relied on it; its bytes and their SHA-256 go into the repair record's details.
        Returns None when the tail is whole. Appends refuse to run on a torn tail until this is called: the
        cut is an operator's decision, made visible, never a silent one.
        """

        def compose(tail: StoredTail) -> tuple[bytes | None, AuditRecord | None]:
            if tail.torn is None:
                return None, None
            details = {
                "offset": tail.torn_offset,
                "length": len(tail.torn),
                "sha256": hashlib.sha256(tail.torn).hexdigest(),
                "content": tail.torn.decode("utf-8", "replace"),
            }
            record = self._chain_after(_head_of(tail, allow_torn=True), actor, TORN_TAIL_ACTION, "", details)
            return record.to_line(), record

        return self.store.append(compose)

    def records(self) -> Iterator[AuditRecord]:
        """The stored records in order; AuditLogCorrupt at the first entry that is not a record."""
        for entry in self.store.entries():
            if not entry.complete:
                raise AuditLogCorrupt(f"entry {entry.line} is torn (an append was cut off)")
            try:
                yield AuditRecord.parse(entry.data)
            except ValueError as exc:
                raise AuditLogCorrupt(f"entry {entry.line} is malformed: {exc}") from None

    def verify(self, trusted_keys: Sequence[Ed25519PublicKey] = ()) -> AuditVerification:
        """Walk the whole chain; see `verify_entries`."""
        return verify_entries(self.store.entries(), trusted_keys)

    def _chain_after(
        self, head: AuditRecord | None, actor: str, action: str, subject: str, details: dict[str, Any]
    ) -> AuditRecord:
        unsigned = AuditRecord(
            seq=1 if head is None else head.seq + 1,
            time=_format_time(self._clock()),
            actor=actor,
            action=action,
            subject=subject,
            details=details,
            prev_hash=GENESIS_HASH if head is None else head.hash,
            hash="",
        )
        return replace(unsigned, hash=unsigned.computed_hash())


def _head_of(tail: StoredTail, *, allow_torn: bool = False) -> AuditRecord | None:
    """The record to chain after; refuse a tail that is torn or fails its own hash."""
    if tail.torn is not None and not allow_torn:
        raise AuditLogCorrupt(
            f"the audit log ends in a torn entry at byte {tail.torn_offset} (an append was cut off); "
            "an operator must run remove_torn_tail before anything more is appended"
        )
    if tail.last is None:
        return None
    try:
        head = AuditRecord.parse(tail.last)
    except ValueError as exc:
        raise AuditLogCorrupt(
            f"the last audit record is malformed ({exc}); nothing can chain after it"
        ) from None
    if head.computed_hash() != head.hash:
        raise AuditLogCorrupt(
            f"the last audit record (seq {head.seq}) fails its hash; nothing can chain after it"
        )
    return head


class ProblemKind(enum.StrEnum):
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
class Problem:
    """One thing wrong with the log, located by line (entry position) and, where readable, seq."""

    kind: ProblemKind
    line: int | None
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = "log" if self.line is None else f"line {self.line}"
        seq = "" if self.seq is None else f" (seq {self.seq})"
        return f"{where}{seq}: {self.kind}: {self.message}"


@dataclass(frozen=True)
class AuditVerification:
    """The verdict on a log: problems sorted by position (the first is the first bad record)."""

    count: int
    head_seq: int | None
    head_hash: str | None
    checkpointed_seq: int | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the chain is intact (and, if trusted keys were given, checkpointed by one of them)."""
        return not self.problems

    def summary(self) -> str:
        """A few lines for an operator: the verdict, the head, then each problem."""
        verdict = "OK" if self.ok else f"BROKEN ({len(self.problems)} problem(s))"
        lines = [
            f"audit log {verdict}: {self.count} record(s), head seq {self.head_seq} hash {self.head_hash}",
            f"checkpointed through seq {self.checkpointed_seq}",
        ]
        return "\n".join(lines + [f"  {problem}" for problem in self.problems])

    def to_json(self) -> dict[str, Any]:
        """The verdict as JSON-ready data (for the CLI's --json and the API)."""
        return {
            "ok": self.ok,
            "count": self.count,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "checkpointed_seq": self.checkpointed_seq,
            "problems": [
                {"kind": str(p.kind), "line": p.line, "seq": p.seq, "message": p.message}
                for p in self.problems
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
    """Check every record's hash, the sequence, the chain links and the checkpoints; locate each problem.

    With `trusted_keys`, every checkpoint must be signed by one of them and at least one must exist, so a
    log rewritten by someone without those keys fails.
    """
    problems: list[Problem] = []
    parsed: list[_Parsed] = []
    malformed_lines: list[int] = []
    count = 0
    for entry in entries:
        if not entry.complete:
            problems.append(Problem(ProblemKind.TRUNCATED, entry.line, None, "incomplete final line"))
            continue
        count += 1
        try:
            record = AuditRecord.parse(entry.data)
        except ValueError as exc:
            problems.append(Problem(ProblemKind.MALFORMED, entry.line, None, str(exc)))
            malformed_lines.append(entry.line)
            continue
        edited = record.computed_hash() != record.hash
        if edited:
            problems.append(
                Problem(ProblemKind.EDITED, entry.line, record.seq, "content does not match its hash")
            )
        parsed.append(_Parsed(entry.line, record, edited))

    problems += _sequence_problems(parsed, malformed_lines)
    problems += _link_problems(parsed)
    checkpoint_problems, checkpointed_seq = _checkpoint_problems(parsed, trusted_keys)
    problems += checkpoint_problems
    problems.sort(key=lambda p: (p.line is None, p.line or 0))
    head = parsed[-1].record if parsed else None
    return AuditVerification(
        count=count,
        head_seq=None if head is None else head.seq,
        head_hash=None if head is None else head.hash,
        checkpointed_seq=checkpointed_seq,
        problems=problems,
    )


def _sequence_problems(parsed: list[_Parsed], malformed_lines: list[int]) -> list[Problem]:
    """Gaps, reorderings and duplicates, judged against the highest seq seen so far in file order.

    Missing numbers that malformed lines in between could account for are not called removed: the
    malformed lines are the problem already reported.
    """
    problems: list[Problem] = []
    all_seqs = {p.record.seq for p in parsed}
    first_line_of: dict[int, int] = {}
    max_seq, previous_line = 0, 0
    for item in parsed:
        seq = item.record.seq
        malformed_between = sum(1 for line in malformed_lines if previous_line < line < item.line)
        if seq in first_line_of:
            message = f"seq {seq} already appeared at line {first_line_of[seq]}"
            problems.append(Problem(ProblemKind.DUPLICATED, item.line, seq, message))
        elif seq < max_seq:
            message = f"seq {seq} comes after seq {max_seq}"
            problems.append(Problem(ProblemKind.REORDERED, item.line, seq, message))
        elif seq > max_seq + 1:
            missing = range(max_seq + 1, seq)
            later = [m for m in missing if m in all_seqs]
            if later:
                message = f"seq {seq} comes before seq {later[0]}"
                problems.append(Problem(ProblemKind.REORDERED, item.line, seq, message))
            elif len(missing) > malformed_between:
                span = str(missing[0]) if len(missing) == 1 else f"{missing[0]}..{missing[-1]}"
                message = f"seq {span} missing before this record"
                problems.append(Problem(ProblemKind.REMOVED, item.line, seq, message))
        first_line_of.setdefault(seq, item.line)
        max_seq, previous_line = max(max_seq, seq), item.line
    return problems


def _link_problems(parsed: list[_Parsed]) -> list[Problem]:
    """Each record's prev_hash against the actual hash of the record with the seq before it.

    A record that hashes correctly but is not the one its successor names was replaced wholesale (hash
    recomputed): the problem is located at the replaced record. Edited records were reported already.
    """
    problems: list[Problem] = []
    by_seq: dict[int, _Parsed] = {}
    for item in parsed:
        by_seq.setdefault(item.record.seq, item)
    for seq, item in by_seq.items():
        if item.edited:
            continue
        if seq == 1:
            if item.record.prev_hash != GENESIS_HASH:
                message = "the first record's prev_hash is not the genesis hash"
                problems.append(Problem(ProblemKind.CHAIN_BROKEN, item.line, seq, message))
            continue
        before = by_seq.get(seq - 1)
        if before is None or before.edited or item.record.prev_hash == before.record.hash:
            continue
        message = f"replaced: seq {seq} (line {item.line}) names prev_hash {item.record.prev_hash[:16]}..."
        problems.append(Problem(ProblemKind.REWRITTEN, before.line, seq - 1, message))
    return problems


def _checkpoint_problems(
    parsed: list[_Parsed], trusted_keys: Sequence[Ed25519PublicKey]
) -> tuple[list[Problem], int | None]:
    """Check every checkpoint record; return the problems and the highest seq a good checkpoint covers."""
    trusted = {_raw_public_key(key) for key in trusted_keys}
    problems: list[Problem] = []
    checkpointed: int | None = None
    for item in parsed:
        record = item.record
        if record.action != CHECKPOINT_ACTION or item.edited:
            continue
        reason = _checkpoint_fault(record)
        if reason is not None:
            problems.append(Problem(ProblemKind.CHECKPOINT_INVALID, item.line, record.seq, reason))
            continue
        if trusted and bytes.fromhex(record.details["public_key"]) not in trusted:
            message = "signed by a key that is not trusted"
            problems.append(Problem(ProblemKind.CHECKPOINT_UNTRUSTED, item.line, record.seq, message))
            continue
        checkpointed = max(checkpointed or 0, record.details["seq"])
    if trusted and parsed and checkpointed is None:
        message = "no checkpoint signed by a trusted key: a rewrite of the whole log would go unnoticed"
        problems.append(Problem(ProblemKind.CHECKPOINT_MISSING, None, None, message))
    return problems, checkpointed


def _checkpoint_fault(record: AuditRecord) -> str | None:
    """Why a checkpoint record does not prove its head, or None when its signature holds."""
    details = record.details
    if set(details) != _CHECKPOINT_FIELDS or type(details["seq"]) is not int:
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
