"""A signing session's nonce record: the nonces round one draws, sealed with what they are bound to.

Round one seals the record by the key store (`custody.keystore.KeyStore.seal`, bound to the session id)
and the session book keeps it in the session's row (`custody.node.signing.sessions`); round two takes it
out, opens it and checks the request against it before the nonces sign anything. The record holds the key
id and version, request id, digest and envelope fingerprint the nonces are bound to, and when they were
drawn (their time to live counts from there).
"""

import json
from typing import Any, Final

from custody.errors import TamperedRecord
from custody.frost import Point, SigningCommitments, SigningNonces
from custody.keystore import KeyStore
from custody.node.signing.sessions import nonce_name
from custody.protocol.errors import SessionConflict

NONCE_RECORD_VERSION: Final = 1


def seal_nonce_record(
    keystore: KeyStore, session_id: str, nonces: SigningNonces, bound: dict[str, Any], created_at: int
) -> bytes:
    """The record of `nonces`, bound to `bound` (key id and version, request id, digest, envelope,
    identifier), sealed for session `session_id`."""
    record = {
        "version": NONCE_RECORD_VERSION,
        **bound,
        "hiding": nonces.hiding.to_bytes(32, "big").hex(),
        "binding": nonces.binding.to_bytes(32, "big").hex(),
        "created_at": created_at,
    }
    return keystore.seal(nonce_name(session_id), json.dumps(record, sort_keys=True).encode())


def open_nonce_record(keystore: KeyStore, sealed: bytes, session_id: str) -> dict[str, Any]:
    """The record sealed for session `session_id`; SessionConflict if it does not open or parse."""
    try:
        record = json.loads(keystore.unseal(nonce_name(session_id), sealed))
    except (TamperedRecord, ValueError):
        record = None
    if not isinstance(record, dict) or record.get("version") != NONCE_RECORD_VERSION:
        raise SessionConflict(f"session {session_id!r}'s nonce record is unreadable; it is deleted")
    return record


def record_nonces(record: dict[str, Any]) -> SigningNonces:
    """The nonces an opened record holds, with their commitments."""
    hiding = int(record["hiding"], 16)
    binding = int(record["binding"], 16)
    return SigningNonces(hiding, binding, SigningCommitments(Point.base_mul(hiding), Point.base_mul(binding)))
