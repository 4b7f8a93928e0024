"""The exact bytes a device signs: one canonical string per purpose, each opened by its own version tag.

A signed request (`request_signing_input`) is, UTF-8, lines joined by "\\n" with no trailing newline:

    TPW-DEVICE-v1
    <METHOD>                 upper case, as sent
    <path?query>             the request target exactly as sent (no scheme or host; "?query" only if present)
    <hex sha256 of body>     lower-case hex; the SHA-256 of the empty string for no body
    <timestamp>              unix seconds, decimal, as in TPW-Device-Timestamp
    <nonce>                  as in TPW-Device-Nonce: 16-64 characters of [A-Za-z0-9_-]
    <device id>              as in TPW-Device-Id

A registration's proof of possession (`registration_signing_input`) is:

    TPW-DEVICE-REGISTER-v1
    <challenge id>
    <challenge>              the random value the server issued, base64url
    <subject id>
    <hex sha256 of the key's SPKI DER>

The tags keep a signature for one purpose from being valid for the other (or for a later version), and the
fixed field order with no free-text field after the target makes the string unambiguous: no field but the
target may contain a newline, and the target may not either.
"""

import hashlib
import re
from typing import Final

REQUEST_TAG: Final = "TPW-DEVICE-v1"
REGISTRATION_TAG: Final = "TPW-DEVICE-REGISTER-v1"

DEVICE_ID_HEADER: Final = "TPW-Device-Id"
TIMESTAMP_HEADER: Final = "TPW-Device-Timestamp"
NONCE_HEADER: Final = "TPW-Device-Nonce"
SIGNATURE_HEADER: Final = "TPW-Device-Signature"

NONCE_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{16,64}")
TIMESTAMP_PATTERN: Final = re.compile(r"[0-9]{1,12}")
DEVICE_ID_PATTERN: Final = re.compile(r"dev_[0-9a-f]{24}")
SUBJECT_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
"""A subject id (`risk.identity` makes `idn_<hex>`): opaque, at most 64 visible characters, no newline."""
_METHOD: Final = re.compile(r"[A-Z]{1,16}")
_TARGET: Final = re.compile(r"/[\x21-\x7e]*")


def request_signing_input(
    method: str, target: str, body: bytes, timestamp: int, nonce: str, device_id: str
) -> bytes:
    """What a device signs for a request (see the module); ValueError if a part cannot be in one."""
    if not _METHOD.fullmatch(method):
        raise ValueError("the method must be upper-case letters")
    if not _TARGET.fullmatch(target):
        raise ValueError("the target must be an origin-form path (and query) of visible ASCII")
    if not NONCE_PATTERN.fullmatch(nonce) or not DEVICE_ID_PATTERN.fullmatch(device_id) or timestamp < 0:
        raise ValueError("the nonce, device id or timestamp is malformed")
    body_hash = hashlib.sha256(body).hexdigest()
    return "\n".join((REQUEST_TAG, method, target, body_hash, str(timestamp), nonce, device_id)).encode()


def registration_signing_input(challenge_id: str, challenge: str, subject_id: str, key_sha256: str) -> bytes:
    """What a device signs to prove it holds the key it registers (see the module)."""
    parts = (REGISTRATION_TAG, challenge_id, challenge, subject_id, key_sha256)
    if any("\n" in part for part in parts):
        raise ValueError("no part of a registration's signing input may contain a newline")
    return "\n".join(parts).encode()
