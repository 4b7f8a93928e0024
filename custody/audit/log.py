"""`AuditLog`: appending chained records, signed checkpoints of the head, and reading the records back.

A checkpoint is a record holding an Ed25519 signature, by the writer's identity key, over the head (seq,
hash) before it: a log rewritten whole, hashes recomputed, fails verification against that key.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Literal, TypeVar, overload

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from custody.audit.record import (
    CHECKPOINT_ACTION,
    GENESIS_HASH,
    TORN_TAIL_ACTION,
    AuditRecord,
    check_json,
    checkpoint_message,
    format_time,
    raw_public_key,
    record_json,
    utc_now,
)
from custody.audit.store import AuditStore, FileAuditStore, StoredTail
from custody.audit.verification import AuditVerification, verify_entries
from custody.errors import AuditError, AuditLogCorrupt, InvalidAuditRecord

_T = TypeVar("_T")


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
        check_json(details, "details")
        normalised: dict[str, Any] = json.loads(record_json(details))

        def compose(tail: StoredTail) -> tuple[bytes, AuditRecord]:
            cached = self._head
            if cached is not None and tail.torn is None and tail.last == cached[0]:
                head: AuditRecord | None = cached[1]
            else:
                head = head_of(tail)
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
            head = head_of(tail)
            if head is None:
                raise AuditError("an empty audit log has no head to checkpoint")
            if if_changed and head.action == CHECKPOINT_ACTION:
                return None, None
            details = {
                "seq": head.seq,
                "head_hash": head.hash,
                "public_key": raw_public_key(identity.public_key()).hex(),
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
            record = self._chain_after(head_of(tail, allow_torn=True), actor, TORN_TAIL_ACTION, "", details)
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
            time=format_time(self._clock()),
            actor=actor,
            action=action,
            subject=subject,
            details=details,
            prev_hash=GENESIS_HASH if head is None else head.hash,
            hash="",
        )
        return replace(unsigned, hash=unsigned.computed_hash())


def head_of(tail: StoredTail, *, allow_torn: bool = False) -> AuditRecord | None:
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
