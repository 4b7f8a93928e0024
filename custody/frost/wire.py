"""Reading FROST messages back from bytes: a cursor that refuses short input and trailing garbage.

Every message type's `from_bytes` reads through this, so malformed input always ends in EncodingError and
never in an IndexError or a silently ignored suffix.
"""

from types import TracebackType

from custody.frost.errors import EncodingError, InvalidIdentifier
from custody.frost.group import ELEMENT_SIZE, SCALAR_SIZE, Point, scalar_from_bytes
from custody.frost.polynomial import require_identifier


class Reader:
    """Consume `data` front to back; use as a context manager so leftover bytes raise on exit."""

    def __init__(self, data: bytes, what: str) -> None:
        self._data = bytes(data)
        self._offset = 0
        self._what = what

    def take(self, size: int) -> bytes:
        """The next `size` bytes."""
        end = self._offset + size
        if end > len(self._data):
            raise EncodingError(f"{self._what}: input too short")
        chunk = self._data[self._offset : end]
        self._offset = end
        return chunk

    def scalar(self) -> int:
        """The next scalar (rejecting >= N)."""
        return scalar_from_bytes(self.take(SCALAR_SIZE))

    def identifier(self) -> int:
        """The next identifier (a non-zero scalar)."""
        try:
            return require_identifier(self.scalar())
        except InvalidIdentifier as error:
            raise EncodingError(f"{self._what}: {error}") from None

    def element(self) -> Point:
        """The next group element (rejecting the identity)."""
        return Point.from_bytes(self.take(ELEMENT_SIZE))

    def uint16(self) -> int:
        """The next 2-byte big-endian count."""
        return int.from_bytes(self.take(2), "big")

    def remaining(self) -> int:
        """How many bytes are left."""
        return len(self._data) - self._offset

    def __enter__(self) -> "Reader":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None and self.remaining():
            raise EncodingError(f"{self._what}: {self.remaining()} unexpected trailing bytes")
