"""Round one of signing (RFC 9591 §5.1): hedged nonces and the commitments a signer publishes.

Nonces are "hedged" (§4.1): H3(32 fresh random bytes || the signing share), so a weak random source alone
does not reveal them. A SigningNonces value is secret and must be used for at most one signature: signing
twice with the same nonces over different messages reveals the signing share. The caller (the signer node)
must keep it only in memory and delete it before answering round two.
"""

import secrets
from dataclasses import dataclass, field

from custody.frost.ciphersuite import h3
from custody.frost.errors import EncodingError
from custody.frost.group import Point, require_scalar, scalar_to_bytes
from custody.frost.keys import require_element
from custody.frost.wire import Reader

NONCE_RANDOMNESS_SIZE = 32


@dataclass(frozen=True)
class SigningCommitments:
    """The public half of round one: hiding and binding nonce commitments (D_i, E_i)."""

    hiding: Point
    binding: Point

    def __post_init__(self) -> None:
        require_element(self.hiding, "the hiding nonce commitment")
        require_element(self.binding, "the binding nonce commitment")

    def to_bytes(self) -> bytes:
        """hiding || binding, 66 bytes."""
        return self.hiding.to_bytes() + self.binding.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> "SigningCommitments":
        """Parse 66 bytes; either commitment being the identity or off the curve raises EncodingError."""
        with Reader(data, "signing commitments") as reader:
            return cls(reader.element(), reader.element())


@dataclass(frozen=True)
class SigningNonces:
    """The secret half of round one: (d_i, e_i) and their commitments. Use once, never print, never send."""

    hiding: int = field(repr=False)
    binding: int = field(repr=False)
    commitments: SigningCommitments

    def __post_init__(self) -> None:
        for nonce in (self.hiding, self.binding):
            if require_scalar(nonce, "a nonce") == 0:
                raise EncodingError("a nonce must not be zero")


def nonce_generate(secret: int, random_bytes: bytes) -> int:
    """nonce_generate (RFC 9591 §4.1), randomness given: H3(random_bytes || SerializeScalar(secret))."""
    if len(random_bytes) != NONCE_RANDOMNESS_SIZE:
        raise EncodingError("nonce randomness must be 32 bytes")
    return h3(random_bytes + scalar_to_bytes(secret))


def commit_with_randomness(
    signing_share: int, hiding_randomness: bytes, binding_randomness: bytes
) -> tuple[SigningNonces, SigningCommitments]:
    """commit() of RFC 9591 §5.1 with explicit randomness: reproduces the test vectors.

    Real signing must use `round1_commit`, which draws the randomness fresh every time.
    """
    require_scalar(signing_share, "the signing share")
    hiding = nonce_generate(signing_share, hiding_randomness)
    binding = nonce_generate(signing_share, binding_randomness)
    commitments = SigningCommitments(Point.base_mul(hiding), Point.base_mul(binding))
    return SigningNonces(hiding, binding, commitments), commitments


def round1_commit(signing_share: int) -> tuple[SigningNonces, SigningCommitments]:
    """Round one for one signer: fresh hedged nonces and their public commitments."""
    return commit_with_randomness(
        signing_share, secrets.token_bytes(NONCE_RANDOMNESS_SIZE), secrets.token_bytes(NONCE_RANDOMNESS_SIZE)
    )
