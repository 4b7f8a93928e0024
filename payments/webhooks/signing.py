"""The `TPW-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, and its verification.

Stripe's scheme, under our header name. The signed payload is the decimal timestamp, a dot, and the body's
exact bytes (never a re-serialisation: a receiver must verify the bytes it read before parsing them). While an
endpoint's secret is being rotated the header carries one `v1=` per valid secret, newest first; a receiver
accepts the request if any of them matches any secret it holds, so it can switch secrets at its own pace.

`verify` refuses, each with its own `SignatureError`: a missing or malformed header, no matching signature
(compared in constant time), a timestamp further than `tolerance` seconds from now in either direction
(stale, or from a clock in the future), and a replay: a (t, signature) already accepted. Replays are caught by
a `ReplayStore` remembering what it accepted until the tolerance window has passed it, after which the
timestamp check refuses it anyway. Unknown schemes (`v0=`, a future `v2=`) are ignored, as Stripe does.
"""

import hashlib
import hmac
import re
import time
from collections.abc import Iterable, Sequence
from typing import Final, Protocol

HEADER: Final = "TPW-Signature"
SCHEME: Final = "v1"
DEFAULT_TOLERANCE_SECONDS: Final = 300
MAX_HEADER_LENGTH: Final = 4096
_SIGNATURE_RE: Final = re.compile(r"[0-9a-f]{64}")
_TIMESTAMP_RE: Final = re.compile(r"[0-9]{1,12}")


class SignatureError(ValueError):
    """A signed request we must refuse; the subclass says why (never which secret or what was expected)."""


class MissingSignature(SignatureError):
    """No `TPW-Signature` header at all."""


class MalformedSignature(SignatureError):
    """A header that is not `t=<digits>` and at least one `v1=<64 lowercase hex>`."""


class WrongSignature(SignatureError):
    """No `v1=` matches the body under any of the secrets."""


class StaleTimestamp(SignatureError):
    """`t` is more than the tolerance away from now (too old, or in the future)."""


class ReplayedSignature(SignatureError):
    """This exact (t, signature) was accepted before."""


class ReplayStore(Protocol):
    """Remembers accepted (t, signature) pairs until `expires_at` (unix seconds)."""

    def first_use(self, timestamp: int, signatures: Sequence[str], expires_at: int, now: int) -> bool:
        """Record each (timestamp, signature) pair; False, recording nothing, if one was recorded already
        (a replay, perhaps with the header's other signatures dropped)."""
        ...


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret` (the whole `whsec_...` string is the key)."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """The header value signing `body` at `timestamp` with each of `secrets`, in their order."""
    if not secrets:
        raise ValueError("signing needs at least one secret")
    return ",".join([f"t={timestamp}", *(f"{SCHEME}={sign(secret, timestamp, body)}" for secret in secrets)])


def parse_header(header: str | None) -> tuple[int, list[str]]:
    """(t, the v1 signatures) of a header; `MissingSignature` or `MalformedSignature` if it has none."""
    if header is None or not header.strip():
        raise MissingSignature(f"no {HEADER} header")
    if len(header) > MAX_HEADER_LENGTH:
        raise MalformedSignature(f"{HEADER} is longer than {MAX_HEADER_LENGTH} characters")
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise MalformedSignature(f"{HEADER} holds an item that is not key=value")
        if key == "t":
            timestamps.append(value)
        elif key == SCHEME:
            if not _SIGNATURE_RE.fullmatch(value):
                raise MalformedSignature(f"a {SCHEME} signature is not 64 lowercase hex digits")
            signatures.append(value)
    if len(timestamps) != 1 or not _TIMESTAMP_RE.fullmatch(timestamps[0]):
        raise MalformedSignature(f"{HEADER} needs exactly one t=<unix seconds>")
    if not signatures:
        raise MalformedSignature(f"{HEADER} holds no {SCHEME} signature")
    return int(timestamps[0]), signatures


def verify(
    header: str | None,
    body: bytes,
    secrets: Iterable[str],
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
    replays: ReplayStore | None = None,
) -> int:
    """Check a signed request; its timestamp if accepted, a `SignatureError` if not.

    Order matters: the signature is checked before the timestamp, so a forger learns nothing about our clock,
    and the replay store is written only for a request that is otherwise valid (a forgery cannot fill it).
    """
    timestamp, signatures = parse_header(header)
    expected = [sign(secret, timestamp, body) for secret in secrets]
    matched = [
        given for given in signatures if any(hmac.compare_digest(given, wanted) for wanted in expected)
    ]
    if not matched:
        raise WrongSignature(f"no {SCHEME} signature matches the body")
    current = int(time.time() if now is None else now)
    if abs(current - timestamp) > tolerance:
        raise StaleTimestamp(f"the timestamp is more than {tolerance} s away from now")
    if replays is not None and not replays.first_use(timestamp, matched, timestamp + tolerance, current):
        raise ReplayedSignature("this signed request was received before")
    return timestamp
