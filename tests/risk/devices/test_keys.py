"""Device keys: P-256 and Ed25519 read from SPKI PEM or raw base64url, everything else refused naming the
field; signatures are 64 bytes (P-256 as raw r || s) and verify only under their key and message."""

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from risk.devices.errors import InvalidDeviceInput
from risk.devices.keys import decode_base64url, encode_base64url, parse_public_key
from tests.helpers.device_keys import DeviceKeyPair

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _pem(public: object) -> str:
    assert hasattr(public, "public_bytes")
    encoded: bytes = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return encoded.decode()


@pytest.mark.parametrize("key_type", ["p256", "ed25519"])
def test_pem_and_raw_forms_read_as_one_key(key_type: str) -> None:
    pair = DeviceKeyPair(key_type)
    from_pem, from_raw = parse_public_key(pair.public_pem), parse_public_key(pair.public_raw)
    assert from_pem == from_raw
    assert from_pem.key_type == key_type
    assert parse_public_key(from_pem.pem) == from_pem


def test_a_compressed_p256_point_reads_as_the_same_key() -> None:
    pair = DeviceKeyPair("p256")
    public = pair.private.public_key()
    compressed = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    assert parse_public_key(encode_base64url(compressed)) == parse_public_key(pair.public_pem)


@pytest.mark.parametrize(
    "text",
    [
        _pem(ec.generate_private_key(ec.SECP384R1()).public_key()),
        _pem(ec.generate_private_key(ec.SECP256K1()).public_key()),
        _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()),
        _pem(x25519.X25519PrivateKey.generate().public_key()),
        "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n",
        encode_base64url(b"\x04" + bytes(64)),  # not a point on P-256
        encode_base64url(bytes(48)),  # no accepted length
        "not base64url!",
        "",
    ],
    ids=["p384", "secp256k1", "rsa", "x25519", "garbage-pem", "off-curve", "48-bytes", "not-base64", "empty"],
)
def test_every_other_key_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidDeviceInput) as refused:
        parse_public_key(text)
    assert refused.value.field == "public_key"


@pytest.mark.parametrize("key_type", ["p256", "ed25519"])
def test_a_signature_verifies_only_under_its_key_and_message(key_type: str) -> None:
    pair, other = DeviceKeyPair(key_type), DeviceKeyPair(key_type)
    key = parse_public_key(pair.public_pem)
    signature = decode_base64url(pair.sign(b"message"), "signature")
    assert len(signature) == 64
    assert key.verifies(signature, b"message")
    assert not key.verifies(signature, b"messagf")
    assert not parse_public_key(other.public_pem).verifies(signature, b"message")
    assert not key.verifies(signature[:-1], b"message")
    assert not key.verifies(bytes(64), b"message")


def test_p256_takes_raw_r_s_not_der_and_does_not_require_low_s() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    key = parse_public_key(_pem(private.public_key()))
    der = private.sign(b"message", ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    assert not key.verifies(der, b"message")
    for s_form in (s, P256_ORDER - s):  # both (r, s) and (r, n - s): low-S is not enforced
        assert key.verifies(r.to_bytes(32, "big") + s_form.to_bytes(32, "big"), b"message")


def test_an_ed25519_key_does_not_verify_a_p256_signature_of_the_same_length() -> None:
    ed_key = parse_public_key(DeviceKeyPair("ed25519").public_pem)
    p256_signature = decode_base64url(DeviceKeyPair("p256").sign(b"message"), "signature")
    assert not ed_key.verifies(p256_signature, b"message")


@pytest.mark.parametrize("text", ["AQID", "AQID=", "AQIDBA", "AQIDBA=="])
def test_base64url_padding_is_optional(text: str) -> None:
    assert decode_base64url(text, "x") in (b"\x01\x02\x03", b"\x01\x02\x03\x04")


@pytest.mark.parametrize("text", ["AQ+D", "AQ/D", "A", "AQ=D", "AQ==="])
def test_base64url_refuses_other_alphabets_and_bad_padding(text: str) -> None:
    with pytest.raises(InvalidDeviceInput) as refused:
        decode_base64url(text, "signature")
    assert refused.value.field == "signature"
