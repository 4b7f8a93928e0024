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

Modules: `record` (a record, its hash, the checkpoint message), `store` (`AuditStore`, `FileAuditStore`),
`log` (`AuditLog`), `verification` (`verify`, `verify_entries`, findings); what a user of the log needs is
imported from here, the record format's details from `record`. Beside them, `head` (signed head statements
to keep off the machine, and the check of a log against them) and `index` (a seq -> offset index of a log
file, so a page costs reading that page) are imported from their modules.
"""

from custody.audit.log import AuditLog
from custody.audit.record import (
    CHECKPOINT_ACTION,
    GENESIS_HASH,
    TORN_TAIL_ACTION,
    AuditRecord,
    checkpoint_message,
)
from custody.audit.store import AuditStore, FileAuditStore, StoredEntry
from custody.audit.verification import AuditVerification, Finding, FindingKind, verify, verify_entries

__all__ = [
    "CHECKPOINT_ACTION",
    "GENESIS_HASH",
    "TORN_TAIL_ACTION",
    "AuditLog",
    "AuditRecord",
    "AuditStore",
    "AuditVerification",
    "FileAuditStore",
    "Finding",
    "FindingKind",
    "StoredEntry",
    "checkpoint_message",
    "verify",
    "verify_entries",
]
