"""How ceremony messages and identities are read from JSON: strictly, exactly the expected fields, lowercase
hex of the expected sizes, and any error turned into `MalformedMessage` naming the claimed sender."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any, Final

from custody.envelope.errors import MalformedMessage

MAX_NODE_ID: Final = 0xFFFF
"""Node ids travel as two bytes in a binding."""
MAX_PAYLOAD: Final = 1 << 20
"""No field of a message, nor a broadcast's payload, is longer (1 MiB)."""
_HEX_RE: Final = re.compile(r"(?:[0-9a-f]{2})*")


def require_node_id(value: Any, what: str) -> None:
    """ValueError unless `value` is a node id (an int in [1, MAX_NODE_ID]); `what` names it."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_NODE_ID:
        raise ValueError(f"the {what} must be a node id in [1, {MAX_NODE_ID}]")


def hex_field(value: dict[str, Any], name: str, size: int | None) -> bytes:
    """Field `name` as bytes: lowercase hex, `size` bytes if given, at most 1 MiB; else ValueError."""
    text = value.get(name)
    if not isinstance(text, str) or not _HEX_RE.fullmatch(text):
        raise ValueError(f"{name!r} must be lowercase hex")
    data = bytes.fromhex(text)
    if size is not None and len(data) != size:
        raise ValueError(f"{name!r} must be {size} bytes")
    if len(data) > MAX_PAYLOAD:
        raise ValueError(f"{name!r} is longer than 1 MiB")
    return data


@contextlib.contextmanager
def parsing(value: Any, fields: set[str]) -> Iterator[dict[str, Any]]:
    """Check a message's JSON has exactly `fields`; turn any error inside into MalformedMessage."""
    if not isinstance(value, dict):
        raise MalformedMessage(0, "a message must be a JSON object")
    sender = value.get("sender")
    if not isinstance(sender, int) or isinstance(sender, bool) or not 1 <= sender <= MAX_NODE_ID:
        sender = 0
    if set(value) != fields:
        raise MalformedMessage(sender, f"a message has exactly the fields {sorted(fields)}")
    try:
        yield value
    except (ValueError, KeyError, TypeError) as error:
        raise MalformedMessage(sender, str(error)) from None
