"""The hash functions of FROST(secp256k1, SHA-256), RFC 9591 §6.5, and extensions built the same way.

H1, H2, H3 (and the DKG's HDKG, as the ZF `frost-secp256k1` crate defines it) map bytes to a scalar with
hash_to_field from RFC 9380 (expand_message_xmd with SHA-256, L = 48, one element, reduced mod N); H4 and H5
are SHA-256 over the context string, a tag and the message. Changing any byte here breaks interoperability,
which the test vectors pin down.
"""

import hashlib

from custody.frost.group import N

CONTEXT = b"FROST-secp256k1-SHA256-v1"
"""contextString of the ciphersuite; every hash is domain-separated by it."""

_HASH_SIZE = 32  # b_in_bytes of SHA-256
_BLOCK_SIZE = 64  # s_in_bytes of SHA-256
_FIELD_EXPANSION = 48  # L = ceil((ceil(log2(N)) + k) / 8) with k = 128 bits of security


def expand_message_xmd(message: bytes, dst: bytes, length: int) -> bytes:
    """expand_message_xmd (RFC 9380 §5.3.1) with SHA-256: `length` uniform bytes from `message` and `dst`."""
    blocks = -(-length // _HASH_SIZE)
    if blocks > 255 or length > 0xFFFF or len(dst) > 255:
        raise ValueError("expand_message_xmd: requested length or DST too long")
    dst_prime = dst + bytes((len(dst),))
    b_0 = hashlib.sha256(
        bytes(_BLOCK_SIZE) + message + length.to_bytes(2, "big") + b"\x00" + dst_prime
    ).digest()
    b_i = hashlib.sha256(b_0 + b"\x01" + dst_prime).digest()
    uniform = [b_i]
    for i in range(2, blocks + 1):
        mixed = (int.from_bytes(b_0, "big") ^ int.from_bytes(b_i, "big")).to_bytes(_HASH_SIZE, "big")
        b_i = hashlib.sha256(mixed + bytes((i,)) + dst_prime).digest()
        uniform.append(b_i)
    return b"".join(uniform)[:length]


def hash_to_scalar(message: bytes, dst: bytes) -> int:
    """hash_to_field(message, 1) of RFC 9380 §5.2 over the scalar field: 48 bytes, big-endian, mod N."""
    return int.from_bytes(expand_message_xmd(message, dst, _FIELD_EXPANSION), "big") % N


def h1(message: bytes) -> int:
    """H1, the binding-factor hash (DST contextString || "rho")."""
    return hash_to_scalar(message, CONTEXT + b"rho")


def h2(message: bytes) -> int:
    """H2, the challenge hash (DST contextString || "chal")."""
    return hash_to_scalar(message, CONTEXT + b"chal")


def h3(message: bytes) -> int:
    """H3, the nonce hash (DST contextString || "nonce")."""
    return hash_to_scalar(message, CONTEXT + b"nonce")


def h4(message: bytes) -> bytes:
    """H4, the message hash: SHA-256(contextString || "msg" || message)."""
    return hashlib.sha256(CONTEXT + b"msg" + message).digest()


def h5(message: bytes) -> bytes:
    """H5, the commitment-list hash: SHA-256(contextString || "com" || message)."""
    return hashlib.sha256(CONTEXT + b"com" + message).digest()


def hdkg(message: bytes) -> int:
    """HDKG, the DKG proof-of-knowledge challenge (DST contextString || "dkg"), as the ZF crate has it."""
    return hash_to_scalar(message, CONTEXT + b"dkg")


def h_transcript(message: bytes) -> bytes:
    """Key-confirmation transcript hash: SHA-256(contextString || "transcript" || message) (our extension)."""
    return hashlib.sha256(CONTEXT + b"transcript" + message).digest()
