"""The coordinator's signing request (RFC 9591 §5.2): every chosen signer's commitments and the message.

The commitment list is kept sorted by identifier, as the RFC requires for encode_group_commitment_list, so
every signer hashes exactly the same bytes whatever order the coordinator collected the commitments in.
"""

from dataclasses import dataclass

from custody.frost.commit import SigningCommitments
from custody.frost.errors import EncodingError, InvalidCommitments
from custody.frost.group import scalar_to_bytes
from custody.frost.polynomial import require_identifier
from custody.frost.wire import Reader


@dataclass(frozen=True)
class SigningPackage:
    """Commitments of the participating signers (identifier -> commitments) and the message to sign."""

    commitments: dict[int, SigningCommitments]
    message: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.message, bytes):
            raise EncodingError("the message must be bytes")
        if not self.commitments:
            raise InvalidCommitments("a signing package needs at least one signer's commitments")
        for identifier, commitments in self.commitments.items():
            require_identifier(identifier)
            if not isinstance(commitments, SigningCommitments):
                raise InvalidCommitments(f"participant {identifier}'s commitments are not SigningCommitments")
        object.__setattr__(self, "commitments", dict(sorted(self.commitments.items())))

    @property
    def participants(self) -> list[int]:
        """participants_from_commitment_list: the signers' identifiers, ascending."""
        return list(self.commitments)

    def encode_commitment_list(self) -> bytes:
        """encode_group_commitment_list (RFC 9591 §4.3): identifier || D_i || E_i per signer, in order."""
        return b"".join(
            scalar_to_bytes(identifier) + commitments.to_bytes()
            for identifier, commitments in self.commitments.items()
        )

    def to_bytes(self) -> bytes:
        """The commitment list (count || encode_commitment_list), then the message."""
        return len(self.commitments).to_bytes(2, "big") + self.encode_commitment_list() + self.message

    @classmethod
    def from_bytes(cls, data: bytes) -> "SigningPackage":
        """Parse `to_bytes` output; duplicate identifiers or bad elements raise EncodingError."""
        with Reader(data, "signing package") as reader:
            commitments: dict[int, SigningCommitments] = {}
            for _ in range(reader.uint16()):
                identifier = reader.identifier()
                if identifier in commitments:
                    raise EncodingError("signing package: duplicate identifier")
                commitments[identifier] = SigningCommitments(reader.element(), reader.element())
            message = reader.take(reader.remaining())
        return cls(commitments, message)
