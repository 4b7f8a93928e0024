"""The canonical strings: exactly as docs/risk.md spells them, injective over their fields, and refusing
parts that could make two requests sign alike."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from risk.devices.canonical import registration_signing_input, request_signing_input

DEVICE = "dev_0123456789abcdef01234567"
NONCE = "n0nce-0123456789_AB"


def test_the_request_string_is_the_documented_one() -> None:
    signed = request_signing_input(
        "POST", "/v1/payment_intents?expand=x", b'{"a":1}', 1_800_000_000, NONCE, DEVICE
    )
    body_hash = hashlib.sha256(b'{"a":1}').hexdigest()
    assert (
        signed
        == (
            f"TPW-DEVICE-v1\nPOST\n/v1/payment_intents?expand=x\n{body_hash}\n1800000000\n{NONCE}\n{DEVICE}"
        ).encode()
    )


def test_an_empty_body_hashes_as_the_empty_string() -> None:
    signed = request_signing_input("GET", "/", b"", 0, NONCE, DEVICE)
    assert signed.split(b"\n")[3] == b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_the_registration_string_is_the_documented_one() -> None:
    assert registration_signing_input("dch_1", "Y2hhbA", "idn_a", "ab" * 32) == (
        b"TPW-DEVICE-REGISTER-v1\ndch_1\nY2hhbA\nidn_a\n" + b"ab" * 32
    )


@pytest.mark.parametrize(
    ("method", "target", "nonce", "device", "timestamp"),
    [
        ("post", "/x", NONCE, DEVICE, 1),
        ("POST", "/x\nPOST", NONCE, DEVICE, 1),
        ("POST", "x", NONCE, DEVICE, 1),
        ("POST", "/x y", NONCE, DEVICE, 1),
        ("POST", "/x", "short", DEVICE, 1),
        ("POST", "/x", NONCE, "dev_nothex", 1),
        ("POST", "/x", NONCE, DEVICE, -1),
    ],
)
def test_parts_that_cannot_be_in_a_request_string_are_refused(
    method: str, target: str, nonce: str, device: str, timestamp: int
) -> None:
    with pytest.raises(ValueError, match=r"must be|malformed"):
        request_signing_input(method, target, b"", timestamp, nonce, device)


_methods = st.sampled_from(["GET", "POST", "PATCH", "DELETE"])
_targets = st.from_regex(r"/[\x21-\x7e]{0,20}", fullmatch=True)
_nonces = st.from_regex(r"[A-Za-z0-9_-]{16,20}", fullmatch=True)
_devices = st.from_regex(r"dev_[0-9a-f]{24}", fullmatch=True)
_requests = st.tuples(
    _methods, _targets, st.binary(max_size=16), st.integers(0, 10**12 - 1), _nonces, _devices
)


@given(_requests, _requests)
def test_distinct_requests_sign_distinct_strings(
    first: tuple[str, str, bytes, int, str, str], second: tuple[str, str, bytes, int, str, str]
) -> None:
    assert (request_signing_input(*first) == request_signing_input(*second)) == (first == second)


def test_the_two_purposes_never_sign_the_same_string() -> None:
    request = request_signing_input("POST", "/", b"", 1, NONCE, DEVICE)
    registration = registration_signing_input("POST", "/", "x", "y")
    assert request.split(b"\n")[0] != registration.split(b"\n")[0]
