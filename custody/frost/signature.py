"""The group's Schnorr signature (R, z), RFC 9591 §6.5 encoding, and the form the contracts take.

Off-chain it is 65 bytes: compressed R, then z. On-chain it is three uint256 (R.x, R.y, z): the contract
checks R is on the curve instead of paying to decompress it.
"""

from dataclasses import dataclass

from custody.frost.group import Point, require_scalar, scalar_to_bytes
from custody.frost.keys import require_element
from custody.frost.wire import Reader

SIGNATURE_SIZE = 65


@dataclass(frozen=True)
class Signature:
    """A FROST signature: the group commitment R and the response z."""

    R: Point
    z: int

    def __post_init__(self) -> None:
        require_element(self.R, "the signature's R")
        require_scalar(self.z, "the signature's z")

    def to_bytes(self) -> bytes:
        """SerializeElement(R) || SerializeScalar(z), 65 bytes."""
        return self.R.to_bytes() + scalar_to_bytes(self.z)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Signature":
        """Parse 65 bytes; R off the curve or z >= N raises EncodingError."""
        with Reader(data, "signature") as reader:
            return cls(reader.element(), reader.scalar())

    def onchain(self) -> tuple[int, int, int]:
        """(R.x, R.y, z), the arguments the Vyper verifier takes."""
        x, y = self.R.coordinates()
        return x, y, self.z
