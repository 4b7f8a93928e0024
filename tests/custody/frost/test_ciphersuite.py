"""expand_message_xmd against RFC 9380's own vectors, and the domain separation of H1..H5 and HDKG."""

import hashlib

import pytest

from custody.frost import CONTEXT
from custody.frost.ciphersuite import expand_message_xmd, h1, h2, h3, h4, h5, hash_to_scalar, hdkg
from custody.frost.group import N

RFC9380_DST = b"QUUX-V01-CS02-with-expander-SHA256-128"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (b"", "68a985b87eb6b46952128911f2a4412bbc302a9d759667f87f7a21d803f07235"),
        (b"abc", "d8ccab23b5985ccea865c6c97b6e5b8350e794e603b4b97902f53a8a0d605615"),
    ],
)
def test_expand_message_xmd_rfc9380_k1(message, expected):
    assert expand_message_xmd(message, RFC9380_DST, 0x20).hex() == expected


def test_expand_message_xmd_binds_the_output_length():
    # the first 32 bytes of a 48-byte output are not a prefix of the 32-byte one (the length is hashed in)
    long = expand_message_xmd(b"abc", RFC9380_DST, 48)
    assert len(long) == 48
    assert long[:32] != expand_message_xmd(b"abc", RFC9380_DST, 32)


def test_expand_message_xmd_limits():
    with pytest.raises(ValueError, match="too long"):
        expand_message_xmd(b"", b"x" * 256, 32)
    with pytest.raises(ValueError, match="too long"):
        expand_message_xmd(b"", RFC9380_DST, 255 * 32 + 1)


def test_context_string():
    assert CONTEXT == b"FROST-secp256k1-SHA256-v1"


def test_hash_to_scalar_uses_48_bytes_reduced_mod_n():
    uniform = expand_message_xmd(b"m", CONTEXT + b"rho", 48)
    assert h1(b"m") == int.from_bytes(uniform, "big") % N
    assert hash_to_scalar(b"m", CONTEXT + b"chal") == h2(b"m")


def test_hashes_are_domain_separated():
    scalars = {h1(b"m"), h2(b"m"), h3(b"m"), hdkg(b"m")}
    assert len(scalars) == 4
    assert h4(b"m") == hashlib.sha256(CONTEXT + b"msg" + b"m").digest()
    assert h5(b"m") == hashlib.sha256(CONTEXT + b"com" + b"m").digest()
    assert h4(b"m") != h5(b"m")
