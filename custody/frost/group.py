"""The secp256k1 prime-order group of RFC 9591 §6.5: elements (Point), scalars mod N and their encodings.

All curve arithmetic goes through libsecp256k1 (coincurve); this module only adds what coincurve leaves out:
an identity element (coincurve cannot represent the point at infinity), immutability, and RFC 9591's strict
SerializeElement / DeserializeElement / SerializeScalar / DeserializeScalar. Scalars are plain ints mod N.
"""

import secrets
from collections.abc import Iterable
from typing import ClassVar

from coincurve import PublicKey

from custody.frost.errors import EncodingError

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
"""The order of the secp256k1 group (Order() in RFC 9591)."""

P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
"""The base field prime: coordinates are in [0, P)."""

ELEMENT_SIZE = 33
SCALAR_SIZE = 32
_EVEN, _ODD = 0x02, 0x03


class Point:
    """An immutable group element; `Point.IDENTITY` is the point at infinity, `Point.G` the generator.

    Supports `+`, `-`, unary `-`, and `*` by an int scalar (either side). Equality and hashing follow the
    compressed encoding, computed once and cached.
    """

    __slots__ = ("_encoded", "_is_generator", "_key")
    G: ClassVar["Point"]
    IDENTITY: ClassVar["Point"]

    _key: PublicKey | None
    _encoded: bytes | None
    _is_generator: bool

    def __init__(self, key: PublicKey | None, *, _is_generator: bool = False) -> None:
        """Wrap a coincurve key; `None` is the identity. Callers normally use the constructors below."""
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_encoded", None)
        object.__setattr__(self, "_is_generator", _is_generator)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Point is immutable")

    @classmethod
    def from_bytes(cls, data: bytes) -> "Point":
        """DeserializeElement: a 33-byte compressed point on the curve; rejects the identity and x >= P."""
        if len(data) != ELEMENT_SIZE or data[0] not in (_EVEN, _ODD):
            raise EncodingError("a group element must be 33 bytes: 0x02 or 0x03, then x")
        try:
            key = PublicKey(bytes(data))
        except ValueError:
            raise EncodingError("bytes are not the encoding of a point on secp256k1") from None
        return cls(key)

    @classmethod
    def from_xy(cls, x: int, y: int) -> "Point":
        """The point with affine coordinates (x, y), as contracts take it; rejects points off the curve."""
        if not (0 <= x < P and 0 <= y < P):
            raise EncodingError("a coordinate is outside the field")
        try:
            return cls(PublicKey.from_point(x, y))
        except ValueError:
            raise EncodingError("(x, y) is not a point on secp256k1") from None

    @classmethod
    def base_mul(cls, scalar: int) -> "Point":
        """scalar·G through libsecp256k1's precomputed generator tables (faster than a general multiply)."""
        scalar %= N
        if scalar == 0:
            return cls.IDENTITY
        return cls(PublicKey.from_valid_secret(scalar.to_bytes(SCALAR_SIZE, "big")))

    @classmethod
    def sum(cls, points: Iterable["Point"]) -> "Point":
        """The sum of many points in one libsecp256k1 call (cheaper than chaining `+`)."""
        keys = [point._key for point in points if point._key is not None]
        if not keys:
            return cls.IDENTITY
        if len(keys) == 1:
            return cls(keys[0])
        try:
            return cls(PublicKey.combine_keys(keys))
        except ValueError:  # libsecp256k1 refuses to return the point at infinity
            return cls.IDENTITY

    @property
    def is_identity(self) -> bool:
        """True for the point at infinity."""
        return self._key is None

    def to_bytes(self) -> bytes:
        """SerializeElement: 33-byte compressed encoding; the identity has none and raises EncodingError."""
        if self._encoded is None:
            if self._key is None:
                raise EncodingError("the identity element has no encoding")
            object.__setattr__(self, "_encoded", self._key.format(compressed=True))
        assert self._encoded is not None
        return self._encoded

    def coordinates(self) -> tuple[int, int]:
        """Affine (x, y); raises EncodingError for the identity, which has none."""
        if self._key is None:
            raise EncodingError("the identity element has no coordinates")
        return self._key.point()

    @property
    def x(self) -> int:
        """Affine x coordinate."""
        return int.from_bytes(self.to_bytes()[1:], "big")

    @property
    def y(self) -> int:
        """Affine y coordinate."""
        return self.coordinates()[1]

    def __add__(self, other: "Point") -> "Point":
        if not isinstance(other, Point):
            return NotImplemented
        return Point.sum((self, other))

    def __neg__(self) -> "Point":
        if self._key is None:
            return self
        encoded = self.to_bytes()
        flipped = _ODD if encoded[0] == _EVEN else _EVEN
        return Point(PublicKey(bytes((flipped,)) + encoded[1:]))

    def __sub__(self, other: "Point") -> "Point":
        if not isinstance(other, Point):
            return NotImplemented
        return self + (-other)

    def __mul__(self, scalar: int) -> "Point":
        if not isinstance(scalar, int) or isinstance(scalar, bool):
            return NotImplemented
        if self._is_generator:
            return Point.base_mul(scalar)
        scalar %= N
        if scalar == 0 or self._key is None:
            return Point.IDENTITY
        return Point(self._key.multiply(scalar.to_bytes(SCALAR_SIZE, "big")))

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Point):
            return NotImplemented
        if self._key is None or other._key is None:
            return self._key is other._key
        return self.to_bytes() == other.to_bytes()

    def __hash__(self) -> int:
        return hash(b"" if self._key is None else self.to_bytes())

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Pickle (and copy) by encoding: the wrapped libsecp256k1 struct itself cannot be pickled."""
        if self._key is None:
            return (Point, (None,))
        return (Point.from_bytes, (self.to_bytes(),))

    def __repr__(self) -> str:
        return "Point(identity)" if self._key is None else f"Point({self.to_bytes().hex()})"


Point.IDENTITY = Point(None)
Point.G = Point(PublicKey.from_valid_secret((1).to_bytes(SCALAR_SIZE, "big")), _is_generator=True)


def scalar_to_bytes(scalar: int) -> bytes:
    """SerializeScalar: 32 bytes big-endian; the value must already be reduced mod N."""
    if not 0 <= scalar < N:
        raise EncodingError("a scalar must be in [0, N)")
    return scalar.to_bytes(SCALAR_SIZE, "big")


def scalar_from_bytes(data: bytes) -> int:
    """DeserializeScalar: 32 bytes big-endian; rejects values >= N rather than reducing them."""
    if len(data) != SCALAR_SIZE:
        raise EncodingError("a scalar must be 32 bytes")
    scalar = int.from_bytes(data, "big")
    if scalar >= N:
        raise EncodingError("a scalar must be less than the group order N")
    return scalar


def random_scalar() -> int:
    """A uniformly random non-zero scalar from the operating system's CSPRNG."""
    return secrets.randbelow(N - 1) + 1


def require_scalar(value: int, what: str) -> int:
    """Return `value` if it is an int in [0, N), else raise EncodingError naming `what` (never the value)."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < N:
        raise EncodingError(f"{what} must be an int in [0, N)")
    return value
