"""One pagination convention for every list route: `limit` and an opaque `cursor` in, a `Page` out.

A list route takes ``limit`` (1 to `MAX_LIMIT`, default `DEFAULT_LIMIT`; anything else is a 422 naming it)
and ``cursor`` (absent for the first page), and answers ``{"data": [...], "has_more": ..., "next_cursor":
...}``. Items come in one fixed order per list, by a key that never changes once an item exists (an id, a
sequence number, a creation time with the id as tie-break), and a cursor holds the key of the last item
served. The next page is "items whose key comes after that one" (keyset pagination), never "skip N": so
items inserted while a client pages through never shift a page, every item that existed when the listing
began (and still matches its filters) is served exactly once, and no item is served twice.

The cursor is opaque to clients: base64url (no padding) of a versioned JSON payload naming the list, the
filters it was made under and the key, behind an 8-byte SHA-256 check. A cursor that was edited, cut
short, made for another list or for other filters (``status=signed`` paging on with a ``status=pending``
cursor) is refused with a 400 problem naming ``cursor``, never silently read from some other place. The
check is not a secret: a cursor is not a credential, only a position, and every page applies the caller's
authorisation afresh, so a hand-made cursor can reach nothing a caller could not list from the start.

``next_cursor`` is given whenever the page holds items, also on the last one (``has_more`` false): a client
following a growing list (the audit log) keeps it and asks again later. An empty page hands back the
cursor it was given, so that following stays possible from any point.
"""

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Final, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from api.errors import ApiError, problem_doc
from chain.files import canonical_json

CURSOR_VERSION: Final = 1
DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 100
MAX_CURSOR_LENGTH: Final = 1024
MAX_KEY_INT: Final = 2**63 - 1
"""Integer keys fit a signed 64-bit column on every backend: a larger one is no position of any list."""
_CHECK_LABEL: Final = b"tpwallet-cursor/v1\x00"
_CHECK_BYTES: Final = 8

KeyPart = int | str | datetime
T = TypeVar("T")
P = TypeVar("P", int, str, datetime)

LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"At most this many items (1 to {MAX_LIMIT}).")
]
CursorQuery = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR_LENGTH,
        description="Where to go on from: the `next_cursor` of the page before. Absent: the first page.",
    ),
]


class InvalidCursor(ApiError, status=400, problem="invalid-cursor", title="Invalid cursor"):
    """A cursor this API did not make, or made for another list or other filters."""

    def __init__(self, message: str) -> None:
        super().__init__(
            f"invalid value for: cursor ({message})", errors=[{"field": "cursor", "message": message}]
        )


LIST_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    400: problem_doc("The `cursor` is not one this list gave out under these filters; `errors` names it."),
}
"""Pass as (part of) a list route's ``responses``."""


class Page(BaseModel, Generic[T]):
    """One page of a list, in the list's fixed order."""

    data: list[T]
    has_more: bool = Field(description="Whether items after this page exist now.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the items after this page; kept also on the last page, so a "
        "client following a growing list can ask again later. Null only for an empty first page."
    )


def _check(payload: bytes) -> bytes:
    return hashlib.sha256(_CHECK_LABEL + payload).digest()[:_CHECK_BYTES]


def _encode_part(part: KeyPart) -> int | str | dict[str, str]:
    return {"t": part.isoformat()} if isinstance(part, datetime) else part


@dataclass(frozen=True)
class Listing:
    """One list's cursors: its name, and the types of the key it is ordered by (e.g. `(datetime, str)`)."""

    name: str
    key_types: tuple[type, ...]

    def encode(self, key: Sequence[KeyPart], filters: Mapping[str, Any] | None = None) -> str:
        """The cursor positioned after the item whose key is `key`, under `filters`."""
        payload = canonical_json(
            {
                "v": CURSOR_VERSION,
                "l": self.name,
                "f": dict(filters or {}),
                "k": [_encode_part(p) for p in key],
            }
        )
        return base64.urlsafe_b64encode(_check(payload) + payload).rstrip(b"=").decode()

    def decode(
        self, cursor: str | None, filters: Mapping[str, Any] | None = None
    ) -> tuple[KeyPart, ...] | None:
        """The key a cursor of this list and these filters holds; None for no cursor; InvalidCursor else."""
        if cursor is None:
            return None
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raise InvalidCursor("not a cursor of this API (not base64url)") from None
        if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != cursor:  # every character counts
            raise InvalidCursor("not a cursor of this API (not base64url as this API writes it)")
        check, payload = raw[:_CHECK_BYTES], raw[_CHECK_BYTES:]
        if len(check) != _CHECK_BYTES or _check(payload) != check:
            raise InvalidCursor("not a cursor of this API, or altered")
        try:
            fields = json.loads(payload)
        except ValueError:
            raise InvalidCursor("not a cursor of this API") from None
        if not isinstance(fields, dict) or fields.get("v") != CURSOR_VERSION:
            raise InvalidCursor("a cursor of another version of this API: start again without one")
        if fields.get("l") != self.name:
            raise InvalidCursor(f"a cursor of another list, not of {self.name}")
        if fields.get("f") != dict(filters or {}):
            raise InvalidCursor("made under other filters: keep the filters while paging, or start again")
        return self._key(fields.get("k"))

    def _key(self, parts: Any) -> tuple[KeyPart, ...]:
        if not isinstance(parts, list) or len(parts) != len(self.key_types):
            raise InvalidCursor("its position has the wrong shape")
        return tuple(_decode_part(part, kind) for part, kind in zip(parts, self.key_types, strict=True))

    def page(
        self,
        fetched: Sequence[T],
        limit: int,
        key_of: Callable[[T], Sequence[KeyPart]],
        *,
        cursor: str | None,
        filters: Mapping[str, Any] | None = None,
    ) -> Page[T]:
        """The page made of `fetched`: up to `limit + 1` items in order after the cursor, the extra one only
        telling that more exist."""
        data = list(fetched[:limit])
        next_cursor = self.encode(key_of(data[-1]), filters) if data else cursor
        return Page[T](data=data, has_more=len(fetched) > limit, next_cursor=next_cursor)


def key_part(key: tuple[KeyPart, ...], index: int, kind: type[P]) -> P:
    """Part `index` of a key `Listing.decode` gave, as the type its listing declares there."""
    part = key[index]
    assert isinstance(part, kind)  # decode checked every part against the listing's key types
    return part


def _decode_part(part: Any, kind: type) -> KeyPart:
    if kind is int and type(part) is int and 0 <= part <= MAX_KEY_INT:
        return part
    if kind is str and isinstance(part, str):
        return part
    if kind is datetime and isinstance(part, dict) and set(part) == {"t"} and isinstance(part["t"], str):
        try:
            moment = datetime.fromisoformat(part["t"])
        except ValueError:
            raise InvalidCursor("its position holds a malformed time") from None
        if moment.tzinfo is not None:
            return moment
    raise InvalidCursor("its position has the wrong shape")
