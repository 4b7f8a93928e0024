"""Long-lived key material: a participant's secret KeyPackage, the group's PublicKeyPackage, and SecretScalar.

KeyPackage is secret (its repr hides the signing share); PublicKeyPackage is public and is what a
coordinator needs to check signature shares. Both check on construction that their parts fit together, so a
corrupted or mixed-up key fails when loaded rather than at signing time. The byte encodings are fixed-size
fields in RFC 9591 encodings (identifiers and scalars 32 bytes, elements 33 bytes compressed, counts 2 bytes
big-endian).
"""

from dataclasses import dataclass, field

from custody.frost.errors import EncodingError, InconsistentKey, InvalidParameters
from custody.frost.group import Point, require_scalar, scalar_to_bytes
from custody.frost.polynomial import MAX_SIGNERS, require_identifier
from custody.frost.wire import Reader


def require_element(point: Point, what: str) -> Point:
    """Return `point` if it is a non-identity Point, else raise EncodingError naming `what`."""
    if not isinstance(point, Point) or point.is_identity:
        raise EncodingError(f"{what} must be a group element other than the identity")
    return point


@dataclass(frozen=True)
class SecretScalar:
    """A scalar meant for exactly one recipient (a DKG or refresh share, a repair delta or sigma).

    It must travel encrypted end to end; its repr never shows the value.
    """

    value: int = field(repr=False)

    def __post_init__(self) -> None:
        require_scalar(self.value, "a secret scalar")

    def to_bytes(self) -> bytes:
        """32 bytes big-endian."""
        return scalar_to_bytes(self.value)

    @classmethod
    def from_bytes(cls, data: bytes) -> "SecretScalar":
        """Parse 32 bytes, rejecting values >= N."""
        with Reader(data, "secret scalar") as reader:
            return cls(reader.scalar())


@dataclass(frozen=True)
class KeyPackage:
    """Everything one participant needs to sign: its secret share s_i and the public values around it."""

    identifier: int
    signing_share: int = field(repr=False)
    verifying_share: Point
    group_public_key: Point
    min_signers: int

    def __post_init__(self) -> None:
        require_identifier(self.identifier)
        require_scalar(self.signing_share, "the signing share")
        require_element(self.verifying_share, "the verifying share")
        require_element(self.group_public_key, "the group public key")
        if not isinstance(self.min_signers, int) or not 2 <= self.min_signers <= MAX_SIGNERS:
            raise InvalidParameters("min_signers must be an int in [2, 65535]")
        if Point.base_mul(self.signing_share) != self.verifying_share:
            raise InconsistentKey("the signing share does not match the verifying share")

    def to_bytes(self) -> bytes:
        """identifier || signing_share || verifying_share || group_public_key || min_signers (132 bytes)."""
        return b"".join(
            (
                scalar_to_bytes(self.identifier),
                scalar_to_bytes(self.signing_share),
                self.verifying_share.to_bytes(),
                self.group_public_key.to_bytes(),
                self.min_signers.to_bytes(2, "big"),
            )
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> "KeyPackage":
        """Parse `to_bytes` output, re-checking every field."""
        with Reader(data, "key package") as reader:
            return cls(
                reader.identifier(), reader.scalar(), reader.element(), reader.element(), reader.uint16()
            )


@dataclass(frozen=True)
class PublicKeyPackage:
    """The group key and every participant's verifying share s_j·G, sorted by identifier.

    `min_signers` is optional (as in the ZF crate) so packages made elsewhere still load; every package this
    library makes sets it, and aggregation then refuses fewer signers.
    """

    verifying_shares: dict[int, Point]
    group_public_key: Point
    min_signers: int | None = None

    def __post_init__(self) -> None:
        shares = {require_identifier(i): self.verifying_shares[i] for i in sorted(self.verifying_shares)}
        for identifier, share in shares.items():
            require_element(share, f"the verifying share of participant {identifier}")
        object.__setattr__(self, "verifying_shares", shares)
        require_element(self.group_public_key, "the group public key")
        if not shares:
            raise InvalidParameters("a public key package needs at least one verifying share")
        if self.min_signers is not None and (
            not isinstance(self.min_signers, int) or not 2 <= self.min_signers <= len(shares)
        ):
            raise InvalidParameters("min_signers must be an int in [2, number of verifying shares]")

    def to_bytes(self) -> bytes:
        """group_public_key || min_signers (0 = unknown) || count || (identifier || verifying_share)*."""
        parts = [
            self.group_public_key.to_bytes(),
            (self.min_signers or 0).to_bytes(2, "big"),
            len(self.verifying_shares).to_bytes(2, "big"),
        ]
        for identifier, share in self.verifying_shares.items():
            parts += [scalar_to_bytes(identifier), share.to_bytes()]
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> "PublicKeyPackage":
        """Parse `to_bytes` output, re-checking every field."""
        with Reader(data, "public key package") as reader:
            group_public_key = reader.element()
            min_signers = reader.uint16() or None
            count = reader.uint16()
            shares: dict[int, Point] = {}
            for _ in range(count):
                identifier = reader.identifier()
                if identifier in shares:
                    raise EncodingError("public key package: duplicate identifier")
                shares[identifier] = reader.element()
        return cls(shares, group_public_key, min_signers)


def participant_keys(
    identifier: int,
    signing_share: int,
    verifying_shares: dict[int, Point],
    group_public_key: Point,
    min_signers: int,
) -> tuple[KeyPackage, PublicKeyPackage]:
    """A ceremony's result for participant `identifier`: its KeyPackage and the group's PublicKeyPackage."""
    key_package = KeyPackage(
        identifier, signing_share, verifying_shares[identifier], group_public_key, min_signers
    )
    return key_package, PublicKeyPackage(verifying_shares, group_public_key, min_signers)
