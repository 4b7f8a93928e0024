"""The ecdsa Vyper module, through `contracts/testing/EcdsaHarness.vy`: recovery, and every refusal."""

from typing import Any

import ape
import pytest
from eth_account import Account
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.chain

SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HALF_ORDER = SECP256K1_ORDER // 2
DIGEST = bytes.fromhex("5a" * 32)

private_keys = st.integers(1, SECP256K1_ORDER - 1)
digests = st.binary(min_size=32, max_size=32)


@pytest.fixture(scope="module")
def harness(project: Any, deployer: Any) -> Any:
    """`contracts/testing/EcdsaHarness.vy`: the ecdsa module's functions as external calls."""
    return project.EcdsaHarness.deploy(sender=deployer)


def sign(private_key: int, digest: bytes) -> tuple[int, bytes, bytes, str]:
    """(v, r, s, signer) of eth-account's signature over `digest` (low s, v in {27, 28})."""
    key = private_key.to_bytes(32, "big")
    signed = Account.unsafe_sign_hash(digest, key)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big"), Account.from_key(key).address


def packed(v: int, r: bytes, s: bytes) -> bytes:
    return r + s + bytes([v])


@given(private_key=private_keys, digest=digests)
def test_recovers_the_signer(harness: Any, private_key: int, digest: bytes) -> None:
    v, r, s, signer = sign(private_key, digest)
    assert harness.recover(digest, v, r, s) == signer
    assert harness.recover_packed(digest, packed(v, r, s)) == signer


def test_a_signature_over_another_digest_recovers_someone_else(harness: Any) -> None:
    v, r, s, signer = sign(7, DIGEST)
    assert harness.recover(bytes.fromhex("a5" * 32), v, r, s) != signer


def test_high_s_twin_is_refused(harness: Any) -> None:
    v, r, s, _ = sign(7, DIGEST)
    high_s = (SECP256K1_ORDER - int.from_bytes(s, "big")).to_bytes(32, "big")
    flipped_v = 55 - v  # 27 <-> 28: the twin signature recovers the same key from the other R parity
    with ape.reverts("ecdsa: s is in the upper half of the order"):
        harness.recover(DIGEST, flipped_v, r, high_s)
    with ape.reverts("ecdsa: s is in the upper half of the order"):
        harness.recover_packed(DIGEST, packed(flipped_v, r, high_s))


def test_s_at_half_the_order_is_accepted_and_one_above_refused(harness: Any) -> None:
    r = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798).to_bytes(32, "big")  # G.x
    recovered = harness.recover(DIGEST, 27, r, HALF_ORDER.to_bytes(32, "big"))
    assert int(recovered, 16) != 0
    with ape.reverts("ecdsa: s is in the upper half of the order"):
        harness.recover(DIGEST, 27, r, (HALF_ORDER + 1).to_bytes(32, "big"))


@pytest.mark.parametrize("v", [0, 1, 26, 29, 255])
def test_v_other_than_27_or_28_is_refused(harness: Any, v: int) -> None:
    _, r, s, _ = sign(7, DIGEST)
    with ape.reverts("ecdsa: v is not 27 or 28"):
        harness.recover(DIGEST, v, r, s)
    with ape.reverts("ecdsa: v is not 27 or 28"):
        harness.recover_packed(DIGEST, packed(v, r, s))


@pytest.mark.parametrize(
    "r",
    [
        b"\x00" * 32,  # r = 0 is no curve point's x
        SECP256K1_ORDER.to_bytes(32, "big"),  # r >= n is out of range
        (5).to_bytes(32, "big"),  # x = 5 is on no point of secp256k1 (5^3 + 7 = 132 is no square mod p)
    ],
)
def test_a_signature_that_recovers_nothing_is_refused(harness: Any, r: bytes) -> None:
    with ape.reverts("ecdsa: signature recovers no signer"):
        harness.recover(DIGEST, 27, r, (1).to_bytes(32, "big"))


def test_s_zero_is_refused(harness: Any) -> None:
    _, r, _, _ = sign(7, DIGEST)
    with ape.reverts("ecdsa: signature recovers no signer"):
        harness.recover(DIGEST, 27, r, b"\x00" * 32)


@pytest.mark.parametrize("length", [0, 1, 64])
def test_a_short_packed_signature_is_refused(harness: Any, length: int) -> None:
    """Longer ones never reach the module: the ABI decoder enforces its Bytes[65] bound."""
    v, r, s, _ = sign(7, DIGEST)
    with ape.reverts("ecdsa: signature is not 65 bytes"):
        harness.recover_packed(DIGEST, packed(v, r, s)[:length])
